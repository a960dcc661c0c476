package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/mitchellh/go-wordwrap"

	"github.com/classla/gantry/internal/command"
	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/plan"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/workdir"
)

// KindPlan plans one project of a pull request at one commit (spec PlanSpec).
const KindPlan = "plan"

// PlanSpec is everything a plan job needs, the project's configuration included, so that a
// runner can execute it without reading .gantry.yaml again.
type PlanSpec struct {
	Number  int    `json:"number"`
	HeadSHA string `json:"head_sha"`
	// Trigger is "autoplan" or "comment"; RequestedBy is who pushed or commented.
	Trigger     string         `json:"trigger"`
	RequestedBy string         `json:"requested_by"`
	Project     config.Project `json:"project"`
	Args        []string       `json:"args,omitempty"`
	// Applicable is set when the plan was asked for with write permission (see planApplicable).
	// Without it the plan is a reader's: it never takes or holds the project's lock, its comment
	// says it can never be applied, and it is saved as not applicable. A job queued before gantry
	// knew this reads false: it fails closed.
	Applicable bool `json:"applicable,omitempty"`
}

// Terraform runs Terraform for the flows; internal/terraform's Runner implements it.
type Terraform interface {
	Plan(ctx context.Context, req terraform.PlanRequest) (*terraform.PlanResult, error)
	Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error)
}

// Workdirs hands out checkouts of a repository at a commit; internal/workdir implements it.
type Workdirs interface {
	Checkout(ctx context.Context, name string, fetch func(ctx context.Context, w io.Writer) error) (*workdir.Dir, error)
}

// planKey groups the plan jobs of one project of one pull request: a newer one supersedes older ones.
// Readers' plans have keys of their own, so that a reader's /plan cannot cancel a writer's plan.
func planKey(repo string, pr int, project string, applicable bool) string {
	if !applicable {
		return fmt.Sprintf("plan:%s#%d:%s:reader", repo, pr, project)
	}
	return fmt.Sprintf("plan:%s#%d:%s", repo, pr, project)
}

// checkName is the check run of a project's plans.
func checkName(project string) string { return "gantry/plan: " + project }

// enqueuePlans queues one plan job per project, canceling older plans of the same projects: a
// writer's plan supersedes every older plan, a reader's only older readers' plans.
func enqueuePlans(ctx context.Context, st store.Store, j store.Job, specs []PlanSpec) ([]int64, error) {
	var ids []int64
	for _, s := range specs {
		key := planKey(j.Repo, s.Number, s.Project.Name, s.Applicable)
		superseded := []string{planKey(j.Repo, s.Number, s.Project.Name, false)}
		if s.Applicable {
			superseded = append(superseded, key)
		}
		for _, k := range superseded {
			if _, err := st.CancelJobs(ctx, k, 0); err != nil {
				return ids, fmt.Errorf("canceling older plans of %s: %w", s.Project.Name, err)
			}
		}
		nj, err := st.EnqueueJob(ctx, store.NewJob{Kind: KindPlan, InstallationID: j.InstallationID, Repo: j.Repo,
			PR: s.Number, SHA: s.HeadSHA, Key: key, Spec: spec(s), MaxAttempts: 2})
		if err != nil {
			return ids, fmt.Errorf("queueing the plan of %s: %w", s.Project.Name, err)
		}
		ids = append(ids, nj.ID)
	}
	return ids, nil
}

// planResult is recorded as a plan job's result.
type planResult struct {
	LockedBy   int    `json:"locked_by,omitempty"`
	PlanID     int64  `json:"plan_id,omitempty"`
	HasChanges bool   `json:"has_changes"`
	Summary    string `json:"summary,omitempty"`
	// CostExceeded: the monthly cost rises above the project's max_monthly_increase.
	CostExceeded bool `json:"cost_exceeded,omitempty"`
}

// runPlan locks the project, plans it at the pull request's head commit, saves the plan and
// shows it in the project's comment and check run. A reader's plan takes no lock: it runs when
// no other pull request holds one. Terraform runs here or, with a Remote, in a runner; what it
// produced is read and reported here either way.
func runPlan(ctx context.Context, t *task[PlanSpec]) (any, error) {
	s, p := t.Spec, t.Spec.Project
	hadLock := planLockHeld(ctx, t)
	held, free, err := planLock(ctx, t)
	if err != nil {
		return nil, err
	}
	if !free {
		return reportLocked(ctx, t, held)
	}

	check, err := t.GH.CreateCheckRun(ctx, t.Repo, gh.CheckRun{Name: checkName(p.Name), HeadSHA: s.HeadSHA, DetailsURL: t.jobURL(),
		Status: "in_progress", Title: "Planning " + short(s.HeadSHA)})
	if err != nil {
		return nil, err
	}
	run, runErr := executePlan(ctx, t)
	// The outcome is reported even when the job was canceled or the server is stopping.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if runErr != nil && ctx.Err() != nil {
		_ = t.GH.UpdateCheckRun(rctx, t.Repo, check, gh.CheckRun{Name: checkName(p.Name), Status: "completed", Conclusion: "cancelled",
			Title: "Superseded", Summary: "A newer plan of this pull request replaced this one."})
		return nil, runErr
	}
	if notStarted(runErr) && s.Applicable && !hadLock {
		// The lock was taken for a plan that never ran: nothing of this pull request is planned to hold it.
		if err := t.Store.ReleaseLock(rctx, t.Repo.String(), p.Name, p.Workspace, s.Number); err != nil {
			t.Log.Warn("releasing the lock of a plan that never ran failed", "project", p.Name, "err", err)
		}
	}
	c, planned, err := readPlan(rctx, t, run)
	if runErr == nil {
		runErr = err
	}
	if c == nil { // gantry could not run Terraform at all (checkout failed): say so on the check run
		_ = t.GH.UpdateCheckRun(rctx, t.Repo, check, gh.CheckRun{Name: checkName(p.Name), Status: "completed", Conclusion: "failure",
			Title: "gantry could not plan", Summary: render.CodeBlock(runErr.Error())})
		return nil, runErr
	}
	// Who asked, with which arguments, and whether the plan may ever be applied: on every comment,
	// the failed ones included.
	c.Unapplicable, c.Args = !s.Applicable, s.Args
	if s.Trigger == "comment" {
		c.RequestedBy = s.RequestedBy
	}
	body, err := render.PlanMarkdown(*c)
	if err != nil {
		return nil, err
	}
	if _, err := t.GH.UpsertComment(rctx, t.Repo, s.Number, render.Marker(p.Name), t.withJobLink(body)); err != nil {
		return nil, err
	}
	out := render.PlanCheckRun(*c)
	if planned != nil && planned.CostExceeded {
		// Neutral, not failure: the plan is fine, but someone must confirm the cost before it applies.
		out.Conclusion, out.Title = render.ConclusionNeutral, "Cost above the limit — "+out.Title
	}
	if err := t.GH.UpdateCheckRun(rctx, t.Repo, check, gh.CheckRun{Name: checkName(p.Name), Status: "completed", Conclusion: out.Conclusion,
		Title: out.Title, Summary: out.Summary, Text: out.Text}); err != nil {
		return nil, err
	}
	// A plan that ended after its pull request was closed saved a plan nobody will apply.
	if err := releasePlansWhenDone(rctx, t, s.Number, false); err != nil {
		t.Log.Warn("discarding the plans of a closed pull request failed", "err", err)
	}
	if runErr != nil {
		return nil, runErr
	}
	return planned, nil
}

// planRun is what running Terraform for a plan produced, wherever it ran: the raw materials the
// server reads, prices, saves and reports. It is the outcome a runner posts, so everything in it is
// treated as the pull request's own output: its author's code ran where it was made.
type planRun struct {
	// NotStarted: gantry could not start Terraform at all (the checkout failed); no comment is
	// written, the check run says why.
	NotStarted bool `json:"not_started,omitempty"`
	// Failure is why planning failed, as the comment shows it; "" when it did not fail.
	Failure  string        `json:"failure,omitempty"`
	Version  string        `json:"version,omitempty"`
	Tofu     bool          `json:"tofu,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// Output is Terraform's rendering of the plan, or what it printed before it failed.
	Output string `json:"output,omitempty"`
	// File is the saved plan, JSON the plan as `terraform show -json` prints it.
	File []byte `json:"file,omitempty"`
	JSON []byte `json:"json,omitempty"`
	// Usage is the project's cost.usage_file as it is in the checkout; UsageError says why it could
	// not be read.
	Usage      []byte `json:"usage,omitempty"`
	UsageError string `json:"usage_error,omitempty"`
}

// executePlan runs Terraform for the plan: in this process, or with a Remote in a runner, which
// posts the same planRun back. err is set when planning failed.
func executePlan(ctx context.Context, t *task[PlanSpec]) (planRun, error) {
	if t.Remote == nil {
		return planTerraform(ctx, t)
	}
	var run planRun
	err := t.remotely(ctx, projectRole(t.Spec.Project, phasePlan), PlanEnvironment, &run)
	if errors.Is(err, ErrRoleNotAllowed) {
		return planRun{Failure: wordwrap.WrapString(err.Error(), 100)}, err
	}
	if err != nil && run.Failure == "" && !run.NotStarted {
		// The runner posted nothing (it never claimed the job, or died): the comment says why.
		run.Failure = err.Error()
	}
	return run, err
}

// planTerraform checks the repository out and runs Terraform. It reads nothing from the store and
// writes nothing to GitHub, so a runner runs it as it is.
func planTerraform(ctx context.Context, t *task[PlanSpec]) (planRun, error) {
	s, p := t.Spec, t.Spec.Project
	// A pull request's code: its author controls it, so it gets the read-only plan role.
	env, err := t.roleEnv(ctx, projectRole(p, phasePlan), s.Number, s.HeadSHA)
	if err != nil {
		// The explanation is a paragraph of gantry's own: wrapped, so the comment's code block does not scroll.
		return planRun{Failure: wordwrap.WrapString(err.Error(), 100)}, err
	}
	dir, err := t.checkout(ctx, s.HeadSHA)
	if err != nil {
		return planRun{NotStarted: true}, err
	}
	defer t.remove(dir)
	projectDir, err := dir.Join(p.Dir)
	if err != nil {
		return planRun{NotStarted: true}, fmt.Errorf("project %s: dir %s: %w", p.Name, p.Dir, err)
	}
	if err := checkVarFiles(dir, p, s.Args); err != nil {
		return planRun{Failure: err.Error()}, err
	}
	planFile := filepath.Join(dir.Path, ".gantry-"+p.Name+".tfplan")
	// A pull request's code: its run gets the pull requests' plugin cache, never the trusted one.
	r, err := t.Terraform.Plan(ctx, terraform.PlanRequest{Dir: projectDir, Workspace: p.Workspace,
		BackendConfig: p.BackendConfig, Args: s.Args, Env: env, RequiredVersion: p.TerraformVersion, PlanFile: planFile,
		Jail: dir.Jail, Trust: sandbox.PullRequest})
	var run planRun
	if r != nil {
		run.Version, run.Tofu, run.Duration, run.Output = r.Version.Version, r.Version.Flavor == terraform.FlavorTofu, r.Duration, r.Text
	}
	if err != nil {
		run.Failure = failureText(err)
		if r != nil && run.Output == "" {
			run.Output = r.Log
		}
		return run, err
	}
	run.JSON = r.JSON
	// Read without following links: the plan's processes could have replaced the file with one.
	if run.File, err = dir.ReadFile(filepath.Base(planFile)); err != nil {
		err = fmt.Errorf("reading the plan file of %s: %w", p.Name, err)
		run.Failure = err.Error()
		return run, err
	}
	if p.Cost.UsageFile != "" {
		if run.Usage, err = readUsage(dir, p); err != nil {
			run.UsageError = err.Error()
		}
	}
	return run, nil
}

// readPlan turns what Terraform produced into the comment to show and, when it planned, the saved
// plan. c is nil when Terraform never ran; err is set when the plan cannot be read or saved.
func readPlan(ctx context.Context, t *task[PlanSpec], run planRun) (c *render.PlanComment, res *planResult, err error) {
	s, p := t.Spec, t.Spec.Project
	if run.NotStarted {
		return nil, nil, nil
	}
	c = &render.PlanComment{Project: p.Name, Dir: p.Dir, Workspace: p.Workspace, Commit: s.HeadSHA,
		Apply: render.ApplyMode(p.Apply.On), TerraformVersion: run.Version, Duration: run.Duration, Output: run.Output,
		Error: run.Failure}
	if run.Tofu {
		c.Tool = "OpenTofu"
	}
	if run.Failure != "" {
		return c, nil, nil
	}
	summary, err := plan.Summarize(run.JSON)
	if err != nil {
		c.Error = err.Error()
		return c, nil, fmt.Errorf("reading the plan of %s: %w", p.Name, err)
	}
	c.Summary = summary
	var exceeded bool
	var delta *float64
	c.Cost, delta, exceeded = estimateCost(ctx, t, usageOf(run), run.JSON)
	saved, err := t.Store.SavePlan(ctx, store.Plan{Repo: t.Repo.String(), PR: s.Number, Project: p.Name,
		Workspace: p.Workspace, SHA: s.HeadSHA, Changes: summary.Fingerprint(), File: run.File, JSON: run.JSON,
		MonthlyCostDelta: delta, CostExceeded: exceeded, Applicable: s.Applicable, RequestedBy: s.RequestedBy})
	if err != nil {
		c.Error = "gantry could not save the plan; comment `/plan` to plan again."
		return c, nil, fmt.Errorf("saving the plan of %s: %w", p.Name, err)
	}
	return c, &planResult{PlanID: saved.ID, HasChanges: summary.HasChanges(), Summary: summary.Line(),
		CostExceeded: exceeded}, nil
}

// planLockHeld reports whether the pull request held the project's lock before this plan.
func planLockHeld(ctx context.Context, t *task[PlanSpec]) bool {
	s, p := t.Spec, t.Spec.Project
	l, err := t.Store.GetLock(ctx, t.Repo.String(), p.Name, p.Workspace)
	return err == nil && l.PR == s.Number
}

// planLock takes the project's lock for a writer's plan. A reader's plan never takes or holds
// one: it may run unless another pull request holds the lock. free is false when another pull
// request holds it, held then describing the holder.
func planLock(ctx context.Context, t *task[PlanSpec]) (held store.Lock, free bool, err error) {
	s, p := t.Spec, t.Spec.Project
	if s.Applicable {
		held, free, err = t.Store.AcquireLock(ctx, store.Lock{Repo: t.Repo.String(), Project: p.Name, Workspace: p.Workspace,
			PR: s.Number, User: s.RequestedBy, SHA: s.HeadSHA})
		if err != nil {
			return held, false, fmt.Errorf("locking %s: %w", p.Name, err)
		}
		return held, free, nil
	}
	held, err = t.Store.GetLock(ctx, t.Repo.String(), p.Name, p.Workspace)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Lock{}, true, nil
	case err != nil:
		return held, false, fmt.Errorf("reading the lock of %s: %w", p.Name, err)
	}
	return held, held.PR == s.Number, nil
}

// checkVarFiles refuses a -var-file that leads outside the checkout: through ".." past the
// repository's root (the command's parser cannot know the project's directory), or through a
// symbolic link. A file elsewhere in the repository is fine.
func checkVarFiles(dir *workdir.Dir, p config.Project, args []string) error {
	if why := command.VarFileOutside(args, p.Dir); why != "" {
		return errors.New(why)
	}
	for _, arg := range args {
		if value, ok := strings.CutPrefix(arg, "-var-file="); ok {
			// Not cleaned first: the checkout resolves each element as the kernel will, links included.
			if _, err := dir.Join(strings.TrimSuffix(p.Dir, "/") + "/" + value); err != nil {
				return fmt.Errorf("-var-file %s: %w", value, err)
			}
		}
	}
	return nil
}

// failureText is what a failed plan shows: Terraform's own diagnostics when it ran.
func failureText(err error) string {
	var re *terraform.RunError
	if errors.As(err, &re) && strings.TrimSpace(re.Stderr) != "" {
		return re.Stderr
	}
	return err.Error()
}

// reportLocked tells the pull request that another one holds the project's lock.
func reportLocked(ctx context.Context, t *task[PlanSpec], held store.Lock) (any, error) {
	s, p := t.Spec, t.Spec.Project
	l := render.Locked{Project: p.Name, Dir: p.Dir, Workspace: p.Workspace, Commit: s.HeadSHA,
		HolderPR: held.PR, HolderUser: held.User, Since: held.AcquiredAt}
	body, err := render.LockedMarkdown(l)
	if err != nil {
		return nil, err
	}
	if _, err := t.GH.UpsertComment(ctx, t.Repo, s.Number, render.Marker(p.Name), t.withJobLink(body)); err != nil {
		return nil, err
	}
	out := render.LockedCheckRun(l)
	if _, err := t.GH.CreateCheckRun(ctx, t.Repo, gh.CheckRun{Name: checkName(p.Name), HeadSHA: s.HeadSHA, DetailsURL: t.jobURL(),
		Status: "completed", Conclusion: out.Conclusion, Title: out.Title, Summary: out.Summary}); err != nil {
		return nil, err
	}
	t.Log.Info("plan blocked by a lock", "project", p.Name, "holder_pr", held.PR)
	return planResult{LockedBy: held.PR}, nil
}

// short is the seven-character form of a commit SHA.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
