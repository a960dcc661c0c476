package flow

import (
	"context"
	"slices"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/store"
)

// KindPush: a push to the default branch, applied when it is a direct push (spec PushSpec).
const KindPush = "push"

// PushSpec is a push to the default branch.
type PushSpec struct {
	SHA    string   `json:"sha"`
	Branch string   `json:"branch"`
	Files  []string `json:"files"`
	Pusher string   `json:"pusher"`
}

// routePush: a push to the default branch may be a direct push to apply; whether it belongs to
// a merged pull request (whose close applies it) needs GitHub, so the job decides.
func routePush(_ *Intake, ev any) ([]store.NewJob, string, error) {
	e := ev.(*github.PushEvent)
	branch := e.GetRepo().GetDefaultBranch()
	if e.GetDeleted() || e.GetRef() != "refs/heads/"+branch {
		return nil, "push to " + e.GetRef() + ", not to the default branch", nil
	}
	s := PushSpec{SHA: e.GetAfter(), Branch: branch, Pusher: e.GetSender().GetLogin()}
	seen := map[string]bool{}
	for _, c := range e.Commits {
		for _, list := range [][]string{c.Added, c.Removed, c.Modified} {
			for _, f := range list {
				if !seen[f] {
					seen[f] = true
					s.Files = append(s.Files, f)
				}
			}
		}
	}
	slices.Sort(s.Files)
	return []store.NewJob{{Kind: KindPush, SHA: s.SHA, Spec: spec(s), MaxAttempts: 3}}, "", nil
}

// runPush applies the projects a direct push changed. A push of a merge commit is left to the
// merged pull request's close, so that a merge applies exactly once.
func runPush(ctx context.Context, t *task[PushSpec]) (any, error) {
	s := t.Spec
	prs, err := t.GH.PullRequestsOfCommit(ctx, t.Repo, s.SHA)
	if err != nil {
		return nil, err
	}
	if len(prs) > 0 {
		t.Log.Info("push belongs to a pull request; its merge applies it", "prs", prs)
		return map[string]any{"pull_requests": prs}, nil
	}
	cfg, problem, err := t.loadConfig(ctx)
	if err != nil || problem != "" || cfg == nil {
		return nil, err
	}
	specs := applySpecs(cfg, s.Files, 0, s.SHA, "push", s.Pusher)
	jobs, err := enqueueApplies(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	deploys, err := enqueueDeploys(ctx, t.Store, t.Job, deploySpecs(cfg, s.Files, specs, 0, s.SHA, s.Branch, s.Pusher), specs)
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, deploys...)
	return prResult{Projects: projectNames(specs), Jobs: jobs}, nil
}

// applySpecs are the applies of the projects (with apply.on: merge) that files affect, in the
// order of the configuration.
func applySpecs(cfg *config.Repo, files []string, pr int, sha, trigger, by string) []ApplySpec {
	var specs []ApplySpec
	for i := range cfg.Projects {
		p := &cfg.Projects[i]
		if p.Apply.On != config.ApplyOnMerge || !slices.ContainsFunc(files, p.Affected) {
			continue
		}
		specs = append(specs, ApplySpec{Number: pr, SHA: sha, Trigger: trigger, RequestedBy: by, Project: *p})
	}
	return specs
}

func projectNames(specs []ApplySpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Project.Name
	}
	return names
}
