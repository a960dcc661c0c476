package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/plan"
	"github.com/classla/gantry/internal/render"
)

// checkRequirements holds the apply of a pull request's commit when the project's apply.requires
// do not hold (merged or not: a merge is no approval), unless someone with maintain or admin
// permission asked for it with `/apply` on the merged pull request. Their permission is asked of
// GitHub now, whatever queued the job. A direct push has no pull request to require anything of.
func (r *applyRun) checkRequirements(ctx context.Context) (held bool, err error) {
	t, s, p := r.t, r.t.Spec, r.t.Spec.Project
	if s.Number == 0 || len(p.Apply.Requires) == 0 {
		return false, nil
	}
	pr, err := t.GH.PullRequest(ctx, t.Repo, s.Number)
	if err != nil {
		return false, fmt.Errorf("checking the requirements of %s: %w", p.Name, err)
	}
	// A merge applies the pull request's head as it was merged; `/apply` before merge the commit
	// whose plan it applies.
	reviewed := pr.HeadSHA
	if s.SavedPlan {
		reviewed = s.SHA
	}
	unmet, err := requirements(ctx, t.GH, t.Repo, p, pr, reviewed)
	if err != nil || len(unmet) == 0 {
		return false, err
	}
	for _, u := range unmet {
		r.unmet = append(r.unmet, u.Requirement)
	}
	hold := &render.ApplyHold{Reason: render.HoldRequirements, Unmet: unmet, BeforeMerge: !pr.Merged}
	if s.Override && s.Trigger == "comment" && pr.Merged && s.RequestedBy != "" {
		perm, err := t.GH.Permission(ctx, t.Repo, s.RequestedBy)
		if err != nil {
			return false, fmt.Errorf("checking who asked to apply %s: %w", p.Name, err)
		}
		if perm.AtLeast(gh.PermissionMaintain) {
			r.c.Override = &render.Override{By: s.RequestedBy, Permission: perm.String(), Unmet: unmet}
			r.overriddenBy = s.RequestedBy
			t.Log.Info("applying although requirements did not hold", "project", p.Name, "unmet", r.unmet,
				"by", s.RequestedBy, "permission", perm.String())
			return false, nil
		}
		hold.RefusedBy, hold.RefusedPermission = s.RequestedBy, perm.String()
	}
	r.c.Hold = hold
	return true, nil
}

// hold decides whether the merge-time plan may be applied: it must make the same changes as
// the plan shown on the pull request (unless confirmed), and its cost must be within the
// project's limit (unless confirmed). When it holds, r.c.Hold says why.
func (r *applyRun) hold(ctx context.Context, in applyInput, merged *plan.Summary, planJSON []byte) bool {
	t, s, p := r.t, r.t.Spec, r.t.Spec.Project
	shown := in.Shown
	r.c.Unplanned = in.Unplanned
	if shown != nil && !s.ConfirmDrift && !bytes.Equal(shown.Changes, merged.Fingerprint()) {
		r.c.Hold = &render.ApplyHold{Reason: render.HoldDrift, Drift: driftChanges(shown.Changes, merged.Fingerprint())}
		return true
	}
	if s.ConfirmCost {
		return false
	}
	exceeded := shown != nil && shown.CostExceeded
	if !exceeded && t.Catalog != nil && p.Cost.MaxMonthlyIncrease != nil {
		if _, _, over := estimateCost(ctx, &task[PlanSpec]{Deps: t.Deps, Log: t.Log, Spec: PlanSpec{Project: p}}, usageFile{}, planJSON); over {
			exceeded = true
		}
	}
	if exceeded {
		limit := 0.0
		if p.Cost.MaxMonthlyIncrease != nil {
			limit = *p.Cost.MaxMonthlyIncrease
		}
		r.c.Hold = &render.ApplyHold{Reason: render.HoldCost, MaxMonthlyIncrease: limit}
		return true
	}
	return false
}

// driftChanges lists what only one of two plan fingerprints (plan.Summary.Fingerprint) changes, or
// changes with another action: first what the merge commit's plan would change, then what only the
// plan shown on the pull request would.
func driftChanges(shownJSON, mergedJSON []byte) []render.DriftChange {
	type entry struct {
		Address string `json:"address"`
		Deposed string `json:"deposed,omitempty"`
		Action  string `json:"action"`
	}
	var shown, merged []entry
	_ = json.Unmarshal(shownJSON, &shown)
	_ = json.Unmarshal(mergedJSON, &merged)
	type key struct{ address, deposed string }
	actions := func(list []entry) map[key]string {
		m := map[key]string{}
		for _, e := range list {
			m[key{e.Address, e.Deposed}] = e.Action
		}
		return m
	}
	inShown, inMerged := actions(shown), actions(merged)
	var out []render.DriftChange
	for _, e := range merged {
		if a, ok := inShown[key{e.Address, e.Deposed}]; !ok || a != e.Action {
			out = append(out, render.DriftChange{Address: e.Address, Deposed: e.Deposed, Shown: a, Merged: e.Action})
		}
	}
	for _, e := range shown {
		if _, ok := inMerged[key{e.Address, e.Deposed}]; !ok {
			out = append(out, render.DriftChange{Address: e.Address, Deposed: e.Deposed, Shown: e.Action})
		}
	}
	return out
}
