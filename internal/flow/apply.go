package flow

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mitchellh/go-wordwrap"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/plan"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/workdir"
)

// KindApply plans a project at a merge commit (or a direct push) and applies that plan when
// it matches the plan shown on the pull request (spec ApplySpec).
const KindApply = "apply"

// ApplySpec is one project's apply.
type ApplySpec struct {
	// Number is the pull request, 0 for a direct push to the default branch.
	Number int `json:"number,omitempty"`
	// SHA is the commit planned and applied: the merge commit or the pushed commit.
	SHA string `json:"sha"`
	// Trigger is "merge", "push" or "comment".
	Trigger      string         `json:"trigger"`
	RequestedBy  string         `json:"requested_by"`
	Project      config.Project `json:"project"`
	ConfirmDrift bool           `json:"confirm_drift,omitempty"`
	ConfirmCost  bool           `json:"confirm_cost,omitempty"`
	// SavedPlan applies the plan saved for the pull request at SHA (apply.on: comment) instead
	// of planning again; the project stays locked until the pull request is merged or closed.
	SavedPlan bool `json:"saved_plan,omitempty"`
	// PlanID pins the saved plan SavedPlan applies: the newest one when `/apply` was written, so a
	// plan made in between is not swapped in. 0 (jobs queued before plans were pinned) reads the
	// newest plan of SHA when the job runs.
	PlanID int64 `json:"plan_id,omitempty"`
	// Override asks to apply a merged pull request although its apply.requires did not hold. It is
	// honoured only for `/apply` (Trigger "comment") when RequestedBy has maintain or admin
	// permission, which the apply asks GitHub when it runs.
	Override bool `json:"override,omitempty"`
}

// Credentials turns a role into the environment of one run, by web identity; internal/aws
// implements it, with the server's token or one gantry signs for the session (SPEC §10).
type Credentials interface {
	Env(ctx context.Context, s Session) (map[string]string, error)
}

// Session is one run's assumption of a role: the role picked for the run's phase, and whom the
// run is for, which names the AWS session and fills the claims of a workload identity token.
type Session struct {
	// Role holds the one role picked for the phase (RoleARN) and its region; nothing else.
	Role config.AWS
	// Repo is OWNER/REPO; PR the pull request (0 for a commit without one); SHA the commit.
	Repo  string
	PR    int
	SHA   string
	JobID int64
	// Owner is "project" or "service", Name its name in .gantry.yaml.
	Owner, Name string
	// Phase is "plan", "apply" or "deploy" (SPEC §10's token subjects).
	Phase string
}

// Ref names what the session runs: "pr7", or the short commit without a pull request.
func (s Session) Ref() string {
	if s.PR != 0 {
		return fmt.Sprintf("pr%d", s.PR)
	}
	return short(s.SHA)
}

// applyMutex makes the applies of one project run one at a time, across pull requests and replicas.
func applyMutex(repo string, p config.Project) string {
	return fmt.Sprintf("apply:%s:%s:%s", repo, p.Name, p.Workspace)
}

// applyKey names the automatic apply of a project at a commit: a merge delivers both a closed
// pull request and a push, and only one of them may apply.
func applyKey(repo, sha, project string) string {
	return fmt.Sprintf("apply:%s@%s:%s", repo, sha, project)
}

// enqueueApplies queues the applies of projects at sha. Automatic ones (merge, push) are skipped
// when that commit's apply of the project was queued before.
func enqueueApplies(ctx context.Context, st store.Store, j store.Job, specs []ApplySpec) ([]int64, error) {
	var ids []int64
	for _, s := range specs {
		nj := store.NewJob{Kind: KindApply, InstallationID: j.InstallationID, Repo: j.Repo, PR: s.Number, SHA: s.SHA,
			Key: applyKey(j.Repo, s.SHA, s.Project.Name), Mutex: applyMutex(j.Repo, s.Project), Spec: spec(s), MaxAttempts: 1}
		var id int64
		var err error
		if s.Trigger == "comment" {
			var queued store.Job
			queued, err = st.EnqueueJob(ctx, nj)
			id = queued.ID
		} else {
			id, err = enqueueOnce(ctx, st, nj)
		}
		if err != nil {
			return ids, fmt.Errorf("queueing the apply of %s: %w", s.Project.Name, err)
		}
		if id != 0 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// enqueueOnce queues nj unless a job with its key was ever queued — a merge's closed pull request
// and its push must make the same work once. The store's unique key decides, across replicas. It
// returns 0 when nothing was queued.
func enqueueOnce(ctx context.Context, st store.Store, nj store.NewJob) (int64, error) {
	// The store holds the key, across replicas: listing first and inserting after let both
	// deliveries of a merge queue it when they ran at the same time.
	nj.Unique = true
	j, err := st.EnqueueJob(ctx, nj)
	if errors.Is(err, store.ErrDuplicate) {
		return 0, nil
	}
	return j.ID, err
}

// applyResult is recorded as an apply job's result.
type applyResult struct {
	Held    string `json:"held,omitempty"` // "drift", "cost" or "requirements"
	Applied bool   `json:"applied"`
	// Unmet names the requirements that did not hold: why it is held, or what an override skipped.
	Unmet []string `json:"unmet,omitempty"`
	// OverriddenBy applied it although requirements did not hold (maintain or admin permission).
	OverriddenBy string `json:"overridden_by,omitempty"`
}

// runApply re-plans the project at the commit, holds when that plan differs from the one shown
// on the pull request or costs more than allowed, and otherwise applies it — reporting on the
// pull request, a check run and a GitHub Deployment.
func runApply(ctx context.Context, t *task[ApplySpec]) (any, error) {
	s, p := t.Spec, t.Spec.Project
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	r := newApplyRun(t)
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	res, err := r.run(ctx)
	res.Unmet, res.OverriddenBy = r.unmet, r.overriddenBy
	if rerr := r.report(rctx, err); rerr != nil && err == nil {
		err = rerr
	}
	if err == nil && res.Applied && s.Number != 0 && !s.SavedPlan {
		if lerr := t.Store.ReleaseLock(rctx, t.Repo.String(), p.Name, p.Workspace, s.Number); lerr != nil {
			return res, fmt.Errorf("releasing the lock of %s: %w", p.Name, lerr)
		}
	}
	if err == nil && res.Applied && !s.SavedPlan {
		// A confirmed or retried apply may free deployments of the commit that were held back.
		if _, qerr := requeueHeldDeploys(rctx, t); qerr != nil {
			return res, fmt.Errorf("queueing the deployments held back by the apply of %s: %w", p.Name, qerr)
		}
	}
	// The last apply of a closed pull request discards its plans.
	if perr := releasePlansWhenDone(rctx, t, s.Number, res.Held != "" || err != nil); perr != nil {
		t.Log.Warn("discarding the plans of a closed pull request failed", "err", perr)
	}
	return res, err
}

func newApplyRun(t *task[ApplySpec]) *applyRun {
	s, p := t.Spec, t.Spec.Project
	return &applyRun{t: t, c: render.ApplyComment{Project: p.Name, Dir: p.Dir, Workspace: p.Workspace, Commit: s.SHA}}
}

// applyRun is one apply job's state while it reports.
type applyRun struct {
	t          *task[ApplySpec]
	c          render.ApplyComment
	check      int64
	deployment int64
	// unmet and overriddenBy are what the requirements check found, for the job's result.
	unmet        []string
	overriddenBy string
}

func (r *applyRun) start(ctx context.Context) error {
	t, s, p := r.t, r.t.Spec, r.t.Spec.Project
	var err error
	r.deployment, err = t.GH.CreateDeployment(ctx, t.Repo, gh.Deployment{Ref: s.SHA, Environment: p.Name,
		Description: "terraform apply of " + p.Dir})
	if err != nil {
		return err
	}
	if err := t.GH.CreateDeploymentStatus(ctx, t.Repo, r.deployment, "in_progress", "planning the merge commit", t.jobURL(), ""); err != nil {
		return err
	}
	r.check, err = t.GH.CreateCheckRun(ctx, t.Repo, gh.CheckRun{Name: "gantry/apply: " + p.Name, HeadSHA: s.SHA, DetailsURL: t.jobURL(),
		Status: "in_progress", Title: "Applying " + short(s.SHA)})
	return err
}

func (r *applyRun) run(ctx context.Context) (applyResult, error) {
	t := r.t
	// Before any role is assumed or anything planned: a pull request that did not meet its
	// requirements is applied only on the word of a maintainer.
	held, err := r.checkRequirements(ctx)
	if err != nil {
		r.c.Error = err.Error()
		return applyResult{}, err
	}
	if held {
		return applyResult{Held: string(render.HoldRequirements)}, nil
	}
	if t.Remote != nil {
		return r.runRemote(ctx)
	}
	in, err := readApplyInput(ctx, t)
	if err != nil {
		r.c.Error = err.Error()
		return applyResult{}, err
	}
	return r.execute(ctx, in)
}

// applyInput is what an apply's run needs from the store: the plan shown on the pull request, which
// the merge commit's plan must match, or the saved plan `/apply` applies. A runner gets it with its
// claim, since it has no store.
type applyInput struct {
	// Shown is the newest plan shown on the pull request (nil: none, or a direct push).
	Shown *shownPlan `json:"shown,omitempty"`
	// Unplanned: the pull request was merged without a plan gantry showed.
	Unplanned bool `json:"unplanned,omitempty"`
	// SavedPlan is the plan file `/apply` applies (ApplySpec.SavedPlan).
	SavedPlan []byte `json:"saved_plan,omitempty"`
}

// shownPlan is what the hold compares of the plan shown on a pull request.
type shownPlan struct {
	Changes      []byte `json:"changes"`
	CostExceeded bool   `json:"cost_exceeded,omitempty"`
}

// applyOutcome is what an apply's run produced, wherever it ran: the comment's run-side fields and the
// job's result.
type applyOutcome struct {
	Comment render.ApplyComment `json:"comment"`
	Result  applyResult         `json:"result"`
}

// readApplyInput reads the apply's input from the store.
func readApplyInput(ctx context.Context, t *task[ApplySpec]) (applyInput, error) {
	s, p := t.Spec, t.Spec.Project
	var in applyInput
	if s.SavedPlan {
		file, err := savedPlanFile(ctx, t)
		in.SavedPlan = file
		return in, err
	}
	if s.Number == 0 {
		return in, nil
	}
	saved, err := t.Store.LatestPlan(ctx, t.Repo.String(), s.Number, p.Name)
	switch {
	case err == nil:
		in.Shown = &shownPlan{Changes: saved.Changes, CostExceeded: saved.CostExceeded}
	case errors.Is(err, store.ErrNotFound):
		in.Unplanned = true
	default:
		return in, fmt.Errorf("reading the plan shown on the pull request for %s: %w", p.Name, err)
	}
	return in, nil
}

// runRemote has a runner in the project's environment plan and apply the commit, and takes its
// outcome into the comment.
func (r *applyRun) runRemote(ctx context.Context) (applyResult, error) {
	t, p := r.t, r.t.Spec.Project
	var out applyOutcome
	err := t.remotely(ctx, projectRole(p, phaseApply), p.Name, &out)
	if errors.Is(err, ErrRoleNotAllowed) {
		r.c.Error = wordwrap.WrapString(err.Error(), 100)
		return applyResult{}, err
	}
	c := out.Comment
	r.c.Tool, r.c.TerraformVersion, r.c.Duration, r.c.Output = c.Tool, c.TerraformVersion, c.Duration, c.Output
	r.c.Error, r.c.Hold, r.c.Unplanned = c.Error, c.Hold, c.Unplanned
	if err != nil && r.c.Error == "" {
		r.c.Error = err.Error()
	}
	return out.Result, err
}

// execute plans the commit and applies that plan unless it must wait, or applies the saved plan. It
// reads nothing from the store and writes nothing to GitHub, so a runner runs it as it is.
func (r *applyRun) execute(ctx context.Context, in applyInput) (applyResult, error) {
	t, s, p := r.t, r.t.Spec, r.t.Spec.Project
	// Merged code, or the saved plan `/apply` applies under apply.on: comment: the apply role.
	env, err := t.roleEnv(ctx, projectRole(p, phaseApply), s.Number, s.SHA)
	if err != nil {
		r.c.Error = wordwrap.WrapString(err.Error(), 100)
		return applyResult{}, err
	}
	dir, err := t.checkout(ctx, s.SHA)
	if err != nil {
		r.c.Error = err.Error()
		return applyResult{}, err
	}
	defer t.remove(dir)
	projectDir, err := dir.Join(p.Dir)
	if err != nil {
		r.c.Error = err.Error()
		return applyResult{}, err
	}
	planFile := filepath.Join(dir.Path, ".gantry-"+p.Name+".tfplan")
	if s.SavedPlan {
		if err := dir.WriteFile(filepath.Base(planFile), in.SavedPlan); err != nil {
			r.c.Error = err.Error()
			return applyResult{}, err
		}
		return r.apply(ctx, dir, projectDir, planFile, env)
	}
	pr, err := t.Terraform.Plan(ctx, terraform.PlanRequest{Dir: projectDir, Workspace: p.Workspace,
		BackendConfig: p.BackendConfig, Env: env, RequiredVersion: p.TerraformVersion, PlanFile: planFile,
		Jail: dir.Jail, Trust: r.trust()})
	r.version(pr)
	if err != nil {
		r.c.Error = failureText(err)
		return applyResult{}, err
	}
	summary, err := plan.Summarize(pr.JSON)
	if err != nil {
		r.c.Error = err.Error()
		return applyResult{}, err
	}
	if r.hold(ctx, in, summary, pr.JSON) {
		return applyResult{Held: string(r.c.Hold.Reason)}, nil
	}
	return r.apply(ctx, dir, projectDir, planFile, env)
}

// trust is what the apply's run may share: a commit of the default branch (a merge or a push) is
// trusted; `/apply` of a pull request's own commit (apply.on: comment) runs the pull request's code
// and gets the pull requests' plugin cache.
func (r *applyRun) trust() sandbox.Trust {
	if r.t.Spec.SavedPlan {
		return sandbox.PullRequest
	}
	return sandbox.Trusted
}

// savedPlanFile reads the saved plan `/apply` named. Only a plan of this pull request's project at
// the commit being applied, asked for by someone who may apply, is applied.
func savedPlanFile(ctx context.Context, t *task[ApplySpec]) ([]byte, error) {
	s, p := t.Spec, t.Spec.Project
	var saved store.Plan
	var err error
	if s.PlanID != 0 {
		saved, err = t.Store.PlanByID(ctx, s.PlanID)
	} else {
		saved, err = t.Store.LatestPlan(ctx, t.Repo.String(), s.Number, p.Name)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("the plan of %s that `/apply` named was discarded: comment `/plan -p %s` and apply again", p.Name, p.Name)
	case err != nil:
		return nil, fmt.Errorf("finding the saved plan of %s: %w", p.Name, err)
	case !strings.EqualFold(saved.Repo, t.Repo.String()) || saved.PR != s.Number || saved.Project != p.Name || saved.Workspace != p.Workspace:
		return nil, fmt.Errorf("plan %d is not a plan of %s on this pull request", saved.ID, p.Name)
	case !saved.Applicable:
		return nil, fmt.Errorf("the plan of %s was asked for by %s, who may not apply: plans of users without write permission "+
			"are shown, never applied. Comment `/plan -p %s` and apply that plan", p.Name, saved.RequestedBy, p.Name)
	case saved.SHA != s.SHA:
		return nil, fmt.Errorf("the saved plan of %s is of commit %s, not %s: comment `/plan -p %s` and apply again",
			p.Name, short(saved.SHA), short(s.SHA), p.Name)
	case len(saved.File) == 0:
		return nil, fmt.Errorf("the plan file of %s was discarded: comment `/plan -p %s` and apply again", p.Name, p.Name)
	}
	return saved.File, nil
}

// apply applies planFile and records the output for the comment.
func (r *applyRun) apply(ctx context.Context, dir *workdir.Dir, projectDir, planFile string, env map[string]string) (applyResult, error) {
	t, p := r.t, r.t.Spec.Project
	ar, err := t.Terraform.Apply(ctx, terraform.ApplyRequest{Dir: projectDir, Workspace: p.Workspace,
		BackendConfig: p.BackendConfig, Env: env, RequiredVersion: p.TerraformVersion, PlanFile: planFile,
		Jail: dir.Jail, Trust: r.trust()})
	if ar != nil {
		r.c.Output, r.c.Duration = ar.Log, ar.Duration
	}
	if err != nil {
		r.c.Error = failureText(err)
		return applyResult{}, err
	}
	return applyResult{Applied: true}, nil
}

func (r *applyRun) version(pr *terraform.PlanResult) {
	if pr == nil {
		return
	}
	r.c.TerraformVersion = pr.Version.Version
	if pr.Version.Flavor == terraform.FlavorTofu {
		r.c.Tool = "OpenTofu"
	}
}

// report shows the outcome on the pull request, the check run and the deployment.
func (r *applyRun) report(ctx context.Context, runErr error) error {
	t, s, p := r.t, r.t.Spec, r.t.Spec.Project
	conclusion, state, title := "success", "success", "Applied "+short(s.SHA)
	switch {
	case r.c.Hold != nil:
		conclusion, state, title = "neutral", "queued", "Waiting: "+r.c.Confirm()
	case runErr != nil || r.c.Error != "":
		// Interrupted runs (the server stopping) end here too: an apply that did not finish failed.
		if r.c.Error == "" {
			r.c.Error = runErr.Error()
		}
		conclusion, state, title = "failure", "failure", "Apply failed"
	}
	body := render.ApplyMarkdown(r.c)
	if s.Number != 0 {
		if _, err := t.GH.UpsertComment(ctx, t.Repo, s.Number, render.ApplyMarker(p.Name), t.withJobLink(body)); err != nil {
			return err
		}
	}
	if err := t.GH.UpdateCheckRun(ctx, t.Repo, r.check, gh.CheckRun{Name: "gantry/apply: " + p.Name, Status: "completed",
		Conclusion: conclusion, Title: title, Summary: body}); err != nil {
		return err
	}
	return t.GH.CreateDeploymentStatus(ctx, t.Repo, r.deployment, state, title, t.jobURL(), "")
}
