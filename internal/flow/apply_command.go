package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
)

// runApplyCommand answers `/apply [-p NAME]... [--confirm-drift] [--confirm-cost]`. On an open
// pull request it applies saved plans (apply.on: comment); on a merged one it confirms a held
// apply of the merge commit, or retries a failed one — and nothing else.
func runApplyCommand(ctx context.Context, t *task[CommandSpec]) (any, error) {
	pr, err := t.GH.PullRequest(ctx, t.Repo, t.Spec.Number)
	if err != nil {
		return nil, err
	}
	cfg, answered, res, err := commandConfig(ctx, t, "gantry has no projects to apply.")
	if answered {
		return res, err
	}
	switch {
	case pr.Merged:
		return applyAfterMerge(ctx, t, cfg, pr)
	case pr.State != "open":
		return t.reply(ctx, "This pull request was closed without being merged, so there is nothing to apply. "+
			"Reopen it to plan and apply it again.")
	}
	return applyBeforeMerge(ctx, t, cfg, pr)
}

// applyAfterMerge answers `/apply` on a merged pull request. It applies the merge commit again only
// for a project whose apply that merge queued (so: merged into the default branch, and a project
// whose files the merge changed) and whose latest apply of the merge is held or failed, and only
// while no newer commit of the project has been applied or queued to apply since: applying an older
// commit then would undo it. Everything else gets a reply saying why and what to do instead.
func applyAfterMerge(ctx context.Context, t *task[CommandSpec], cfg *config.Repo, pr gh.PullRequest) (any, error) {
	s, cmd := t.Spec, t.Spec.Command
	if base, def, ok, err := mergedElsewhere(ctx, t); err != nil {
		return nil, err
	} else if ok {
		return t.reply(ctx, fmt.Sprintf("This pull request was merged into `%s`, not into the default branch `%s`, so gantry "+
			"applies nothing of it. Its changes are applied when they are merged into `%s`.", inCode(base), inCode(def), inCode(def)))
	}
	if len(cmd.Projects) > 0 {
		if refusal := unknownProjects(cfg, cmd.Projects); refusal != "" {
			return t.reply(ctx, refusal)
		}
	}
	files, err := t.GH.PullRequestFiles(ctx, t.Repo, s.Number)
	if err != nil {
		return nil, fmt.Errorf("listing the files of %s#%d: %w", t.Repo, s.Number, err)
	}
	affected := applySpecs(cfg, files, s.Number, pr.MergeCommitSHA, "comment", s.Author)
	names := cmd.Projects
	if len(names) == 0 {
		names = projectNames(affected)
	}
	if len(names) == 0 {
		return t.reply(ctx, "The merge of this pull request changed no project that applies on merge, so there is nothing "+
			"to apply. gantry applies a merge's projects when it is merged; `/apply` here only confirms or retries those.")
	}
	history, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: t.Repo.String(), Kind: KindApply})
	if err != nil {
		return nil, fmt.Errorf("listing the applies of %s: %w", t.Repo, err)
	}
	var refusals []string
	var specs []ApplySpec
	for _, name := range names {
		i := slices.IndexFunc(affected, func(a ApplySpec) bool { return a.Project.Name == name })
		if i < 0 {
			refusals = append(refusals, fmt.Sprintf("`%s` is not a project this merge changed, so it is not applied here: "+
				"gantry applies a project when a merge into the default branch changes its files (planning it with "+
				"`/plan -p` does not make it part of the merge).", name))
			continue
		}
		a := affected[i]
		held, why := mergeApplyState(history, t.Repo.String(), pr, a.Project)
		if why != "" {
			refusals = append(refusals, why)
			continue
		}
		a.ConfirmDrift, a.ConfirmCost = cmd.ConfirmDrift, cmd.ConfirmCost
		// A requirements hold is released only by maintain or admin permission, which the apply
		// checks when it runs; the request is recorded here, with who made it.
		a.Override = held == string(render.HoldRequirements)
		specs = append(specs, a)
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

// mergedElsewhere reports whether the pull request's close recorded a merge into a branch other
// than the default one (base and def name both). Without a recorded close it reports false: then
// no apply of the merge was queued either, and mergeApplyState refuses.
func mergedElsewhere(ctx context.Context, t *task[CommandSpec]) (base, def string, elsewhere bool, err error) {
	closes, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: t.Repo.String(), PR: t.Spec.Number, Kind: KindPullRequestClosed})
	if err != nil {
		return "", "", false, fmt.Errorf("listing the closes of %s#%d: %w", t.Repo, t.Spec.Number, err)
	}
	for _, j := range slices.Backward(closes) {
		var c PullRequestSpec
		if json.Unmarshal(j.Spec, &c) != nil || !c.Merged {
			continue
		}
		return c.BaseRef, c.DefaultBranch, c.BaseRef != c.DefaultBranch, nil
	}
	return "", "", false, nil
}

// mergeApplyState looks at the applies of project p at the merge commit of pr: the first one must
// have been queued by the merge itself, the latest must be held or failed, and no apply of another
// commit of p may have been queued since the merge's, unless it failed or was held. It returns the
// reason the latest apply is held ("" when it failed), or why (a reply) it may not be applied again.
func mergeApplyState(history []store.Job, repo string, pr gh.PullRequest, p config.Project) (held, why string) {
	key := applyKey(repo, pr.MergeCommitSHA, p.Name)
	var merge, latest *store.Job
	for i := range history {
		j := &history[i]
		if j.Key != key {
			continue
		}
		if merge == nil {
			var a ApplySpec
			if json.Unmarshal(j.Spec, &a) != nil || (a.Trigger != "merge" && a.Trigger != "push") {
				break
			}
			merge = j
		}
		latest = j
	}
	if merge == nil {
		return "", fmt.Sprintf("The merge of this pull request did not apply `%s`, so `/apply` cannot confirm or retry it: "+
			"`/apply` on a merged pull request only releases an apply its merge held, or retries one that failed. To change "+
			"`%s`, open a pull request that changes its files.", p.Name, p.Name)
	}
	var res applyResult
	_ = json.Unmarshal(latest.Result, &res)
	switch {
	case !latest.State.Done():
		return "", fmt.Sprintf("The apply of `%s` at `%s` is %s already: wait for its result on this pull request.",
			p.Name, short(pr.MergeCommitSHA), latest.State)
	case latest.State == store.Succeeded && res.Held == "":
		return "", fmt.Sprintf("`%s` at `%s` is applied already; there is nothing to confirm or retry. To change it again, "+
			"open a new pull request.", p.Name, short(pr.MergeCommitSHA))
	}
	if newer := newerApply(history, merge.ID, pr.MergeCommitSHA, p); newer != nil {
		return "", fmt.Sprintf("`%s` is not applied at `%s`: the newer commit `%s` of `%s` was %s since, and applying this "+
			"older merge now would undo it. Open a new pull request with what is still missing.",
			p.Name, short(pr.MergeCommitSHA), short(newer.SHA), p.Name, newerWhat(newer))
	}
	return res.Held, ""
}

// newerApply is the first apply of project p at a commit other than sha queued after the job
// after, that applied or may still apply — so that sha may no longer be applied. Held and failed
// applies changed nothing, so they do not count.
func newerApply(history []store.Job, after int64, sha string, p config.Project) *store.Job {
	for i := range history {
		j := &history[i]
		if j.ID <= after || j.SHA == sha {
			continue
		}
		var a ApplySpec
		if json.Unmarshal(j.Spec, &a) != nil || a.Project.Name != p.Name || a.Project.Workspace != p.Workspace {
			continue
		}
		var res applyResult
		_ = json.Unmarshal(j.Result, &res)
		if !j.State.Done() || (j.State == store.Succeeded && res.Applied) {
			return j
		}
	}
	return nil
}

func newerWhat(j *store.Job) string {
	what := "applied"
	if !j.State.Done() {
		what = "queued to apply"
	}
	if j.PR != 0 {
		return fmt.Sprintf("%s (#%d)", what, j.PR)
	}
	return what
}

// inCode keeps a name from GitHub inside the code span it is quoted in.
func inCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s)
}
