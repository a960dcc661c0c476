package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
)

// routePullRequest: new commits or a ready PR get planned; a closed PR gets cleaned up (and,
// when merged, applied). Drafts wait; forks are planned only when the server allows it.
func routePullRequest(in *Intake, ev any) ([]store.NewJob, string, error) {
	e := ev.(*github.PullRequestEvent)
	pr := e.GetPullRequest()
	s := PullRequestSpec{
		Number:        pr.GetNumber(),
		Action:        e.GetAction(),
		HeadSHA:       pr.GetHead().GetSHA(),
		HeadRef:       pr.GetHead().GetRef(),
		HeadRepo:      pr.GetHead().GetRepo().GetFullName(),
		BaseRef:       pr.GetBase().GetRef(),
		DefaultBranch: e.GetRepo().GetDefaultBranch(),
		Author:        pr.GetUser().GetLogin(),
		Sender:        e.GetSender().GetLogin(),
		Merged:        pr.GetMerged(),
		MergeSHA:      pr.GetMergeCommitSHA(),
	}
	key := fmt.Sprintf("pr:%s#%d", e.GetRepo().GetFullName(), s.Number)
	switch s.Action {
	case "opened", "reopened", "synchronize", "ready_for_review":
		if pr.GetDraft() {
			return nil, "draft pull requests are planned when marked ready for review", nil
		}
		if s.HeadRepo != e.GetRepo().GetFullName() && !in.Policy.AllowForkPRs {
			// One note per PR: the handler upserts it, so a later push does not repeat it.
			return []store.NewJob{{Kind: KindForkNote, PR: s.Number, SHA: s.HeadSHA, Spec: spec(s), MaxAttempts: 3}},
				"", nil
		}
		return []store.NewJob{{Kind: KindPullRequest, PR: s.Number, SHA: s.HeadSHA, Key: key, Spec: spec(s), MaxAttempts: 3}}, "", nil
	case "closed":
		sha := s.HeadSHA
		if s.Merged {
			sha = s.MergeSHA
		}
		return []store.NewJob{{Kind: KindPullRequestClosed, PR: s.Number, SHA: sha, Spec: spec(s)}}, "", nil
	}
	return nil, "pull_request action " + s.Action + " changes nothing gantry does", nil
}

// prResult is what a pull-request job found, recorded as the job's result.
type prResult struct {
	Projects []string `json:"projects"`
	// Jobs are the plan jobs queued.
	Jobs []int64 `json:"jobs,omitempty"`
	// ConfigProblem is set when .gantry.yaml could not be used.
	ConfigProblem string `json:"config_problem,omitempty"`
}

// Comment markers of the notes gantry keeps one of per pull request.
const (
	markerConfig     = "<!-- gantry:config -->"
	markerConfigEdit = "<!-- gantry:config-edit -->"
	markerFork       = "<!-- gantry:fork -->"
)

// runPullRequest works out which projects a pull request affects, from the configuration on
// the default branch (a pull request cannot change what gantry does with it) and its files.
func runPullRequest(ctx context.Context, t *task[PullRequestSpec]) (any, error) {
	s := t.Spec
	// A newer push makes older work on this pull request moot.
	if _, err := t.Store.CancelJobs(ctx, t.Job.Key, t.Job.ID); err != nil {
		return nil, fmt.Errorf("canceling older jobs of %s#%d: %w", t.Repo, s.Number, err)
	}
	cfg, problem, err := t.loadConfig(ctx)
	switch {
	case err != nil:
		return nil, err
	case problem != "":
		return prResult{ConfigProblem: problem}, nil
	case cfg == nil:
		return nil, nil
	}
	files, err := t.GH.PullRequestFiles(ctx, t.Repo, s.Number)
	if err != nil {
		return nil, fmt.Errorf("listing the files of %s#%d: %w", t.Repo, s.Number, err)
	}
	if slices.Contains(files, ConfigFile) {
		body := markerConfigEdit + "\nℹ️ This pull request changes `" + ConfigFile + "`. gantry reads its configuration " +
			"from the default branch, so the change takes effect after it is merged; this pull request is planned " +
			"with the configuration on `" + s.DefaultBranch + "`."
		if _, err := t.GH.UpsertComment(ctx, t.Repo, s.Number, markerConfigEdit, body); err != nil {
			return nil, fmt.Errorf("noting the configuration change on %s#%d: %w", t.Repo, s.Number, err)
		}
	}
	res := prResult{Projects: affectedProjects(cfg, files)}
	var specs []PlanSpec
	for _, name := range res.Projects {
		p, _ := cfg.Project(name)
		if !p.Autoplan {
			continue
		}
		specs = append(specs, PlanSpec{Number: s.Number, HeadSHA: s.HeadSHA, Trigger: "autoplan",
			RequestedBy: s.Sender, Project: *p})
	}
	if len(specs) > 0 {
		applicable, err := planApplicable(ctx, t)
		if err != nil {
			return nil, err
		}
		for i := range specs {
			specs[i].Applicable = applicable
		}
	}
	if res.Jobs, err = enqueuePlans(ctx, t.Store, t.Job, specs); err != nil {
		return nil, err
	}
	t.Log.Info("projects affected", "projects", res.Projects, "files", len(files), "plan_jobs", res.Jobs)
	return res, nil
}

// planApplicable decides whether the autoplan of a push may be applied and lock. It plans no
// arguments, only the pull request's head, and who can put code there decides: a branch of this
// repository takes a push only from someone with write permission (GitHub enforces it), so its
// plans are a writer's. A fork's branch takes anyone's push: its plans (GANTRY_ALLOW_FORK_PRS)
// are a writer's only when the event's sender — who pushed, opened or reopened it — has write
// permission; otherwise they are a reader's, and a writer's `/plan` makes one that can be applied.
func planApplicable(ctx context.Context, t *task[PullRequestSpec]) (bool, error) {
	s := t.Spec
	if strings.EqualFold(s.HeadRepo, t.Repo.String()) {
		return true, nil
	}
	perm, err := t.GH.Permission(ctx, t.Repo, s.Sender)
	if err != nil {
		return false, fmt.Errorf("checking %s's permission on %s: %w", s.Sender, t.Repo, err)
	}
	return perm.AtLeast(gh.PermissionWrite), nil
}

// loadConfig reads .gantry.yaml from the default branch. A repository without one is not
// managed by gantry (cfg nil, no error); a broken one gets a comment listing every problem.
func (t *task[S]) loadConfig(ctx context.Context) (cfg *config.Repo, problem string, err error) {
	cfg, perr, err := t.readConfig(ctx)
	if err != nil || perr == nil {
		return cfg, "", err
	}
	problem = perr.Error()
	body := markerConfig + "\n❌ gantry cannot use `" + ConfigFile + "` on the default branch, so nothing was planned:\n\n" +
		render.CodeBlock(problem) + "\n" +
		"Fix it on the default branch (`gantry config validate " + ConfigFile + "` shows the same list), then push again or comment `/plan`."
	if _, err := t.GH.UpsertComment(ctx, t.Repo, t.Job.PR, markerConfig, body); err != nil {
		return nil, "", fmt.Errorf("reporting the configuration problems on %s#%d: %w", t.Repo, t.Job.PR, err)
	}
	return nil, problem, nil
}

// readConfig reads and parses .gantry.yaml from the default branch: cfg nil and no error when the
// repository has none (gantry does not manage it), perr the problems of a broken one.
func (t *task[S]) readConfig(ctx context.Context) (cfg *config.Repo, perr, err error) {
	data, found, err := t.GH.DefaultBranchFile(ctx, t.Repo, ConfigFile)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s of %s: %w", ConfigFile, t.Repo, err)
	}
	if !found {
		t.Log.Info("repository has no " + ConfigFile + "; nothing to do")
		return nil, nil, nil
	}
	cfg, perr = config.Parse(data)
	if perr != nil {
		return nil, perr, nil
	}
	return cfg, nil, nil
}

// runPullRequestClosed releases what a closed pull request held. A pull request merged into the
// default branch first queues the applies of the projects its files change; those keep their
// locks until they are applied, and the pull request's saved plans stay until its applies are
// done (releasePlansWhenDone).
func runPullRequestClosed(ctx context.Context, t *task[PullRequestSpec]) (any, error) {
	s := t.Spec
	// Its queued and running work is moot: the pull-request jobs and every project's plans.
	pending, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: t.Repo.String(), PR: s.Number,
		States: []store.JobState{store.Queued, store.Running}})
	if err != nil {
		return nil, fmt.Errorf("listing the jobs of closed %s#%d: %w", t.Repo, s.Number, err)
	}
	for _, j := range pending {
		if j.Key == "" || j.ID == t.Job.ID || j.Kind == KindApply {
			continue
		}
		if _, err := t.Store.CancelJobs(ctx, j.Key, 0); err != nil {
			return nil, fmt.Errorf("canceling the jobs of closed %s#%d: %w", t.Repo, s.Number, err)
		}
	}
	var applying []ApplySpec
	if s.Merged && s.BaseRef == s.DefaultBranch {
		if applying, err = mergeApplies(ctx, t); err != nil {
			return nil, err
		}
	}
	locks, err := t.Store.ListLocks(ctx, t.Repo.String())
	if err != nil {
		return nil, fmt.Errorf("listing the locks of %s: %w", t.Repo, err)
	}
	var released []string
	for _, l := range locks {
		if l.PR != s.Number || slices.ContainsFunc(applying, func(a ApplySpec) bool { return a.Project.Name == l.Project }) {
			continue
		}
		if err := t.Store.ReleaseLock(ctx, l.Repo, l.Project, l.Workspace, l.PR); err != nil {
			return nil, fmt.Errorf("releasing the lock of %s on %s: %w", l.Project, t.Repo, err)
		}
		released = append(released, l.Project+"/"+l.Workspace)
	}
	if err := releasePlansWhenDone(ctx, t, s.Number, false); err != nil {
		return nil, err
	}
	t.Log.Info("pull request closed", "merged", s.Merged, "locks_released", released, "applying", projectNames(applying))
	return map[string]any{"locks_released": released, "applying": projectNames(applying)}, nil
}

// releasePlansWhenDone discards the saved plans of closed pull request pr once none of its applies
// is queued or running: the close job, every apply and every plan call it when they end. The
// plan files and JSON go then. The plans themselves — the changes and cost an apply compares the
// merge commit's plan with — go too, unless the pull request was merged and the latest apply of
// one of its projects is held or failed: `/apply` may still confirm or retry it.
//
// The job calling it is still running: an apply passes its own outcome in waits (true when it
// was held or failed); any other job passes false. It does nothing for a pull request that is open.
func releasePlansWhenDone[S any](ctx context.Context, t *task[S], pr int, waits bool) error {
	repo := t.Repo.String()
	if pr == 0 {
		return nil
	}
	closes, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: repo, PR: pr, Kind: KindPullRequestClosed})
	if err != nil || len(closes) == 0 {
		return err
	}
	if last := closes[len(closes)-1]; last.ID != t.Job.ID && !last.State.Done() {
		// The close has not been handled yet: a merge's applies are not queued, and would find no plan
		// to compare with. The close job decides when it ends.
		return nil
	}
	var closed PullRequestSpec
	if err := json.Unmarshal(closes[len(closes)-1].Spec, &closed); err != nil {
		return fmt.Errorf("reading the close of %s#%d: %w", repo, pr, err)
	}
	if t.Job.Kind != KindPullRequestClosed {
		// It may have been reopened since.
		now, err := t.GH.PullRequest(ctx, t.Repo, pr)
		if err != nil {
			return err
		}
		if now.State == "open" {
			return nil
		}
	}
	applies, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: repo, PR: pr, Kind: KindApply})
	if err != nil {
		return fmt.Errorf("listing the applies of %s#%d: %w", repo, pr, err)
	}
	waiting := map[string]bool{} // by project: its latest apply is held or failed
	for _, j := range applies {
		var a ApplySpec
		if err := json.Unmarshal(j.Spec, &a); err != nil {
			continue
		}
		var res applyResult
		_ = json.Unmarshal(j.Result, &res)
		switch {
		case j.ID == t.Job.ID:
			waiting[a.Project.Name] = waits
		case !j.State.Done():
			return nil
		default:
			waiting[a.Project.Name] = j.State != store.Succeeded || res.Held != ""
		}
	}
	if closed.Merged && slices.Contains(slices.Collect(maps.Values(waiting)), true) {
		if err := t.Store.DeletePlanFiles(ctx, repo, pr); err != nil {
			return fmt.Errorf("discarding the plan files of %s#%d: %w", repo, pr, err)
		}
		return nil
	}
	if err := t.Store.DeletePlans(ctx, repo, pr); err != nil {
		return fmt.Errorf("discarding the plans of %s#%d: %w", repo, pr, err)
	}
	return nil
}

// mergeApplies queues the applies of a merged pull request: the projects whose files it
// changed (not those only planned with /plan -p), at the merge commit.
func mergeApplies(ctx context.Context, t *task[PullRequestSpec]) ([]ApplySpec, error) {
	s := t.Spec
	cfg, problem, err := t.loadConfig(ctx)
	if err != nil || problem != "" || cfg == nil {
		return nil, err
	}
	files, err := t.GH.PullRequestFiles(ctx, t.Repo, s.Number)
	if err != nil {
		return nil, fmt.Errorf("listing the files of %s#%d: %w", t.Repo, s.Number, err)
	}
	specs := applySpecs(cfg, files, s.Number, s.MergeSHA, "merge", s.Sender)
	if _, err := enqueueApplies(ctx, t.Store, t.Job, specs); err != nil {
		return nil, err
	}
	deploys := deploySpecs(cfg, files, specs, s.Number, s.MergeSHA, s.BaseRef, s.Sender)
	if _, err := enqueueDeploys(ctx, t.Store, t.Job, deploys, specs); err != nil {
		return nil, err
	}
	return specs, nil
}

// runForkNote tells a fork's pull request why gantry does not plan it (once: the note is upserted).
func runForkNote(ctx context.Context, t *task[PullRequestSpec]) (any, error) {
	body := markerFork + "\n🔒 gantry does not plan pull requests from forks: planning runs this pull request's " +
		"Terraform code with the project's AWS role, and code from a fork could use that role.\n\n" +
		"A maintainer can push the branch to this repository and open the pull request from there, or the " +
		"server's operator can set `GANTRY_ALLOW_FORK_PRS=true` to plan fork pull requests."
	if _, err := t.GH.UpsertComment(ctx, t.Repo, t.Spec.Number, markerFork, body); err != nil {
		return nil, fmt.Errorf("posting the fork note on %s#%d: %w", t.Repo, t.Spec.Number, err)
	}
	return nil, nil
}
