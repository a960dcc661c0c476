package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
)

// applyBeforeMerge answers `/apply` on an open pull request: the projects with `apply.on:
// comment` apply the plan saved for the pull request's head commit, once every condition of
// `apply.requires` holds. A plan of an older commit is refused: it is not what is being merged.
func applyBeforeMerge(ctx context.Context, t *task[CommandSpec], cfg *config.Repo, pr gh.PullRequest) (any, error) {
	s, cmd := t.Spec, t.Spec.Command
	var projects []config.Project
	for _, p := range cfg.Projects {
		named := len(cmd.Projects) == 0 || slices.Contains(cmd.Projects, p.Name)
		if named && p.Apply.On == config.ApplyOnComment {
			projects = append(projects, p)
		}
	}
	if len(projects) == 0 {
		return t.reply(ctx, "No project here applies on `/apply` (`apply.on: comment`): this pull request is applied "+
			"when it is merged.")
	}
	var refusals []string
	var specs []ApplySpec
	for _, p := range projects {
		saved, err := t.Store.LatestPlan(ctx, t.Repo.String(), s.Number, p.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			refusals = append(refusals, fmt.Sprintf("`%s` has no plan on this pull request: comment `/plan -p %s` first.", p.Name, p.Name))
			continue
		case err != nil:
			return nil, err
		case saved.SHA != pr.HeadSHA:
			refusals = append(refusals, fmt.Sprintf("`%s` was last planned at `%s`, but the head is `%s`: comment `/plan -p %s` "+
				"and apply that plan.", p.Name, short(saved.SHA), short(pr.HeadSHA), p.Name))
			continue
		case !saved.Applicable:
			refusals = append(refusals, fmt.Sprintf("`%s` was last planned by a user who may not apply it: comment `/plan -p %s` "+
				"and apply that plan.", p.Name, p.Name))
			continue
		case saved.CostExceeded && !cmd.ConfirmCost:
			refusals = append(refusals, fmt.Sprintf("`%s` raises the monthly cost above its limit: `/apply -p %s --confirm-cost` to apply it anyway.", p.Name, p.Name))
			continue
		}
		unmet, err := requirements(ctx, t.GH, t.Repo, p, pr, pr.HeadSHA)
		if err != nil {
			return nil, err
		}
		if len(unmet) > 0 {
			reasons := make([]string, len(unmet))
			for i, u := range unmet {
				reasons[i] = render.UnmetReason(u)
			}
			refusals = append(refusals, fmt.Sprintf("`%s` cannot be applied yet: %s.", p.Name, strings.Join(reasons, "; ")))
			continue
		}
		specs = append(specs, ApplySpec{Number: s.Number, SHA: pr.HeadSHA, Trigger: "comment", RequestedBy: s.Author,
			Project: p, SavedPlan: true, PlanID: saved.ID, ConfirmCost: cmd.ConfirmCost})
	}
	if len(refusals) > 0 {
		if _, err := t.reply(ctx, strings.Join(refusals, "\n")); err != nil {
			return nil, err
		}
	}
	jobs, err := enqueueApplies(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	return prResult{Projects: projectNames(specs), Jobs: jobs}, nil
}

// requirements says which of the project's apply.requires do not hold for pull request pr, whose
// commit sha is to be applied. `approved` counts the reviews of that very commit (gh.Client.Approved).
// A merged pull request is mergeable by its merge, and undiverged too: gantry plans the merge
// commit itself, which holds the base branch, and holds the apply when that plan differs from the
// plan shown on the pull request.
func requirements(ctx context.Context, api GitHub, repo gh.Repo, p config.Project, pr gh.PullRequest, sha string) ([]render.Unmet, error) {
	var unmet []render.Unmet
	for _, r := range p.Apply.Requires {
		switch r {
		case config.RequireApproved:
			a, err := api.Approved(ctx, repo, pr.Number, pr.User, sha)
			if err != nil {
				return nil, err
			}
			if !a.Approved {
				unmet = append(unmet, approvalUnmet(a, sha))
			}
		case config.RequireMergeable:
			if !pr.Merged && pr.MergeableState != "clean" && pr.MergeableState != "unstable" && pr.MergeableState != "has_hooks" {
				unmet = append(unmet, render.Unmet{Requirement: render.RequireMergeable, State: pr.MergeableState})
			}
		case config.RequireUndiverged:
			if pr.Merged {
				continue
			}
			behind, err := api.Diverged(ctx, repo, pr.BaseRef, sha)
			if err != nil {
				return nil, err
			}
			if behind > 0 {
				unmet = append(unmet, render.Unmet{Requirement: render.RequireUndiverged, Base: pr.BaseRef, Behind: behind})
			}
		}
	}
	return unmet, nil
}

// approvalUnmet says why commit sha is not approved.
func approvalUnmet(a gh.Approval, sha string) render.Unmet {
	u := render.Unmet{Requirement: render.RequireApproved, Commit: sha, ChangesRequested: a.ChangesRequested}
	for _, i := range a.Ignored {
		n := render.NotCounted{User: i.User, Commit: i.Commit}
		switch i.Why {
		case gh.IgnoredAuthor:
			n.Why = "author"
		case gh.IgnoredPermission:
			n.Why, n.Permission = "permission", i.Permission.String()
		case gh.IgnoredOlderCommit:
			n.Why = "commit"
		}
		u.NotCounted = append(u.NotCounted, n)
	}
	return u
}
