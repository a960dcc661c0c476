package flow

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
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
	// Before is the commit the branch pointed at before the push.
	Before string `json:"before,omitempty"`
	// Incomplete: the payload may not list every file the push changed, so the job asks GitHub.
	Incomplete bool `json:"incomplete,omitempty"`
}

// payloadCommits is how many commits GitHub lists in a push payload at most; a push of more
// is cut, and its payload's file lists with it.
const payloadCommits = 20

// zeroSHA is a push's before when the branch did not exist.
const zeroSHA = "0000000000000000000000000000000000000000"

// routePush: a push to the default branch may be a direct push to apply; whether it belongs to
// a merged pull request (whose close applies it) needs GitHub, so the job decides.
func routePush(_ *Intake, ev any) ([]store.NewJob, string, error) {
	e := ev.(*github.PushEvent)
	branch := e.GetRepo().GetDefaultBranch()
	if e.GetDeleted() || e.GetRef() != "refs/heads/"+branch {
		return nil, "push to " + e.GetRef() + ", not to the default branch", nil
	}
	s := PushSpec{SHA: e.GetAfter(), Branch: branch, Pusher: e.GetSender().GetLogin(), Before: e.GetBefore()}
	seen := map[string]bool{}
	distinct := 0
	for _, c := range e.Commits {
		if c.GetDistinct() {
			distinct++
		}
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
	s.Incomplete = len(e.Commits) >= payloadCommits || e.GetSize() > len(e.Commits) || e.GetDistinctSize() > distinct ||
		s.Before == "" || s.Before == zeroSHA
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
	cfg, problem, err := pushConfig(ctx, t)
	if err != nil || problem != "" || cfg == nil {
		if problem != "" {
			return prResult{ConfigProblem: problem}, err
		}
		return nil, err
	}
	files, err := pushFiles(ctx, t)
	if err != nil {
		return nil, err
	}
	specs := applySpecs(cfg, files, 0, s.SHA, "push", s.Pusher)
	jobs, err := enqueueApplies(ctx, t.Store, t.Job, specs)
	if err != nil {
		return nil, err
	}
	deploys, err := enqueueDeploys(ctx, t.Store, t.Job, deploySpecs(cfg, files, specs, 0, s.SHA, s.Branch, s.Pusher), specs)
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, deploys...)
	return prResult{Projects: projectNames(specs), Jobs: jobs}, nil
}

// pushConfig reads .gantry.yaml from the default branch for a direct push. A push has no pull
// request to comment on: a broken configuration is reported as a failed check run
// `gantry/config` on the pushed commit, which its author sees, listing every problem.
func pushConfig(ctx context.Context, t *task[PushSpec]) (cfg *config.Repo, problem string, err error) {
	cfg, perr, err := t.readConfig(ctx)
	if err != nil || perr == nil {
		return cfg, "", err
	}
	out := render.ConfigCheckRun(ConfigFile, perr.Error())
	if _, err := t.GH.CreateCheckRun(ctx, t.Repo, gh.CheckRun{Name: "gantry/config", HeadSHA: t.Spec.SHA, DetailsURL: t.jobURL(), Status: "completed",
		Conclusion: out.Conclusion, Title: out.Title, Summary: out.Summary}); err != nil {
		return nil, perr.Error(), fmt.Errorf("reporting the configuration problems on %s at %s: %w", t.Repo, short(t.Spec.SHA), err)
	}
	return nil, perr.Error(), nil
}

// pushFiles are the files a direct push changed: the payload's list, and when that may be cut
// (GitHub lists at most 20 commits in it), also those of the comparison of the commits before
// and after the push — or of the pushed commit alone when the branch is new.
func pushFiles(ctx context.Context, t *task[PushSpec]) ([]string, error) {
	s := t.Spec
	if !s.Incomplete {
		return s.Files, nil
	}
	g := t.GH
	var more []string
	var err error
	if s.Before == "" || s.Before == zeroSHA {
		more, err = g.CommitFiles(ctx, t.Repo, s.SHA)
	} else {
		more, err = g.CompareFiles(ctx, t.Repo, s.Before, s.SHA)
	}
	if err != nil {
		// A cut list could leave a changed project unapplied: apply nothing rather than part.
		return nil, fmt.Errorf("listing the files of the push to %s at %s: %w", t.Repo, short(s.SHA), err)
	}
	files := slices.Concat(s.Files, more)
	slices.Sort(files)
	return slices.Compact(files), nil
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
