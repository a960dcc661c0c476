package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/store"
)

// KindDeploy builds a service at a commit, pushes it to ECR and rolls it out on ECS (spec DeploySpec).
const KindDeploy = "deploy"

// DeploySpec is one service's deployment.
type DeploySpec struct {
	Number      int            `json:"number,omitempty"` // the merged pull request, 0 for a direct push
	SHA         string         `json:"sha"`
	Branch      string         `json:"branch"`
	RequestedBy string         `json:"requested_by"`
	Service     config.Service `json:"service"`
	// After are the projects of Applies the service lists in `after`.
	After []string `json:"after,omitempty"`
	// Applies are the projects the commit applies: the service deploys only once all of them
	// applied, whether or not it lists them in `after`.
	Applies []string `json:"applies,omitempty"`
}

// Shipper builds, pushes and rolls out a service, or puts it back on an earlier revision;
// internal/ship implements it.
type Shipper interface {
	Ship(ctx context.Context, req ShipRequest) (ShipResult, error)
	Rollback(ctx context.Context, req RollbackRequest) (ShipResult, error)
}

// RollbackRequest puts a service back on an existing task definition revision.
type RollbackRequest struct {
	Service        config.Service
	TaskDefinition string            // the revision's ARN (ECS)
	SHA            string            // the earlier deployment's commit (Amplify releases it again)
	Env            map[string]string // the service role's credentials (AWS_*)
}

// ShipRequest is a service to build from a checkout and deploy.
type ShipRequest struct {
	Service config.Service
	Dir     string        // the repository checked out at SHA
	Jail    *sandbox.Jail // the job's place in the sandbox, where the build's processes run
	SHA     string
	Branch  string
	Repo    string            // owner/name, for the image's source label
	Env     map[string]string // the service role's credentials (AWS_*)
}

// ShipResult is what a rollout did; on failure, what it got to.
type ShipResult struct {
	Image         string // repository URI@digest
	Digest        string
	TaskDefBefore string
	TaskDefAfter  string
	Duration      time.Duration
	// Events are the service's last events, newest first (for failures).
	Events []string
	// Changes are how the revision deployed differs from the one that ran, besides the image
	// (what Terraform registered since), without secret or environment values.
	Changes []string
	// Amplify is the release job of an Amplify service (whose TaskDefAfter is the job's ARN).
	Amplify *AmplifyJob `json:",omitempty"`
}

// AmplifyJob is the Amplify job that released a frontend.
type AmplifyJob struct {
	ID, ARN, Status string
	// Started is false when Amplify's own build had started the job for the commit already.
	Started    bool
	ConsoleURL string
}

func deployKey(repo, sha, service string) string {
	return fmt.Sprintf("deploy:%s@%s:%s", repo, sha, service)
}

// deploySpecs are the deployments of the services files affect. Each waits for every apply of
// the commit (applying), whether or not the service lists the project in `after`: `after` only
// orders, and a service whose projects the commit does not apply deploys after the others.
func deploySpecs(cfg *config.Repo, files []string, applying []ApplySpec, pr int, sha, branch, by string) []DeploySpec {
	var specs []DeploySpec
	for i := range cfg.Services {
		svc := &cfg.Services[i]
		if !slices.ContainsFunc(files, svc.Affected) {
			continue
		}
		s := DeploySpec{Number: pr, SHA: sha, Branch: branch, RequestedBy: by, Service: *svc, Applies: projectNames(applying)}
		for _, a := range applying {
			if slices.Contains(svc.After, a.Project.Name) {
				s.After = append(s.After, a.Project.Name)
			}
		}
		specs = append(specs, s)
	}
	return specs
}

// enqueueDeploys queues deployments once per service and commit. A deployment shares the mutex
// of an apply it waits for (the first of its `after`, else the commit's first), so it is
// claimed only after that apply ends instead of holding a worker while it runs.
func enqueueDeploys(ctx context.Context, st store.Store, j store.Job, specs []DeploySpec, applying []ApplySpec) ([]int64, error) {
	var ids []int64
	for _, s := range specs {
		mutex := ""
		for _, a := range applying {
			if mutex == "" || len(s.After) > 0 && a.Project.Name == s.After[0] {
				mutex = applyMutex(j.Repo, a.Project)
			}
		}
		id, err := enqueueOnce(ctx, st, store.NewJob{Kind: KindDeploy, InstallationID: j.InstallationID, Repo: j.Repo,
			PR: s.Number, SHA: s.SHA, Key: deployKey(j.Repo, s.SHA, s.Service.Name), Mutex: mutex, Spec: spec(s), MaxAttempts: 1})
		if err != nil {
			return ids, fmt.Errorf("queueing the deployment of %s: %w", s.Service.Name, err)
		}
		if id != 0 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// deployResult is recorded as a deploy job's result.
type deployResult struct {
	DeploymentID int64 `json:"deployment_id,omitempty"`
	// Blocked names the applies of the commit that did not succeed, so nothing was deployed;
	// requeueHeldDeploys finds the job again by it.
	Blocked []render.HeldApply `json:"blocked,omitempty"`
	// WaitingFor is the project whose apply was still queued or running, so the deployment was
	// queued again behind it (as job Next) instead of waiting in a worker.
	WaitingFor string `json:"waiting_for,omitempty"`
	Next       int64  `json:"next,omitempty"`
}

// runDeploy waits for every apply of the commit, then builds, pushes and rolls the service out,
// recording the deployment in the ledger and on GitHub and reporting on the pull request. When
// an apply of the commit is held or failed, it deploys nothing and says why.
func runDeploy(ctx context.Context, t *task[DeploySpec]) (any, error) {
	s, svc := t.Spec, t.Spec.Service
	held, pending, err := commitApplies(ctx, t.Store, t.Repo.String(), s, 0)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return queueBehind(ctx, t, pending[0])
	}
	if len(held) > 0 {
		err := t.reportHeld(ctx, render.DeployHeld{Service: svc.Name, Commit: s.SHA, PR: s.Number, Applies: held})
		return deployResult{Blocked: held}, err
	}
	if t.Shipper == nil && t.Remote == nil {
		return nil, errors.New("this server cannot build and deploy services: no image builder is configured")
	}
	d, err := t.Store.CreateDeployment(ctx, store.Deployment{Repo: t.Repo.String(), Service: svc.Name, SHA: s.SHA, PR: s.Number,
		Actor: s.RequestedBy, State: store.DeploymentPending})
	if err != nil {
		return nil, err
	}
	d.GitHubDeploymentID, err = t.GH.CreateDeployment(ctx, t.Repo, gh.Deployment{Ref: s.SHA, Environment: svc.Name,
		Description: "build, push and roll out " + svc.Name})
	if err != nil {
		return nil, err
	}
	d.State, d.StartedAt = store.DeploymentInProgress, time.Now().UTC()
	if err := t.Store.UpdateDeployment(ctx, d); err != nil {
		return nil, err
	}
	if err := t.GH.CreateDeploymentStatus(ctx, t.Repo, d.GitHubDeploymentID, "in_progress", "building "+short(s.SHA), t.jobURL(), t.serviceURL(svc.Name)); err != nil {
		return nil, err
	}
	res, shipErr := shipWhere(ctx, t)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	d.Image, d.ImageDigest, d.TaskDefBefore, d.TaskDefAfter = res.Image, res.Digest, res.TaskDefBefore, res.TaskDefAfter
	d.FinishedAt, d.State = time.Now().UTC(), store.DeploymentSuccess
	if shipErr != nil {
		d.State, d.Error = store.DeploymentFailure, shipErr.Error()
	}
	if err := t.Store.UpdateDeployment(rctx, d); err != nil {
		return nil, err
	}
	running := d.TaskDefAfter
	var release *render.AmplifyRelease
	if a := res.Amplify; a != nil {
		running = "Amplify job " + a.ID
		release = &render.AmplifyRelease{JobID: a.ID, Started: a.Started, ConsoleURL: a.ConsoleURL}
	}
	if err := t.GH.CreateDeploymentStatus(rctx, t.Repo, d.GitHubDeploymentID, string(d.State),
		render.DeployStatus(d.Service, running, d.State == store.DeploymentSuccess), t.jobURL(), t.serviceURL(d.Service)); err != nil {
		return nil, err
	}
	if err := t.deployComment(rctx, render.DeployMarkdown(render.Deploy{Service: d.Service, Commit: d.SHA,
		Succeeded: d.State == store.DeploymentSuccess, Image: d.Image, TaskDefBefore: d.TaskDefBefore,
		TaskDefAfter: d.TaskDefAfter, Duration: res.Duration, DeploymentID: d.ID, Error: d.Error, Events: res.Events,
		Changes: res.Changes, Amplify: release})); err != nil {
		return nil, err
	}
	return deployResult{DeploymentID: d.ID}, shipErr
}

// shipWhere ships the service in this process or, with a Remote, in a runner in the service's
// environment, which posts the ShipResult back.
func shipWhere(ctx context.Context, t *task[DeploySpec]) (ShipResult, error) {
	if t.Remote == nil {
		return ship(ctx, t)
	}
	var res ShipResult
	err := t.remotely(ctx, serviceRole(t.Spec.Service), t.Spec.Service.Name, &res)
	return res, err
}

// ship checks the repository out and hands it to the Shipper with the service's credentials.
func ship(ctx context.Context, t *task[DeploySpec]) (ShipResult, error) {
	s, svc := t.Spec, t.Spec.Service
	env, err := t.roleEnv(ctx, serviceRole(svc), s.Number, s.SHA)
	if err != nil {
		return ShipResult{}, err
	}
	if svc.IsAmplify() {
		// Amplify builds the branch itself: nothing to check out.
		return t.Shipper.Ship(ctx, ShipRequest{Service: svc, SHA: s.SHA, Branch: s.Branch, Repo: t.Repo.String(), Env: env})
	}
	dir, err := t.checkout(ctx, s.SHA)
	if err != nil {
		return ShipResult{}, err
	}
	defer t.remove(dir)
	return t.Shipper.Ship(ctx, ShipRequest{Service: svc, Dir: dir.Path, Jail: dir.Jail, SHA: s.SHA, Branch: s.Branch,
		Repo: t.Repo.String(), Env: env})
}

// queueBehind queues the deployment again behind apply, an apply of its commit that has not
// ended: the new job shares the apply's mutex, so it is claimed only once that apply is over, and
// no worker waits in between. Once there, it looks again, and queues itself behind the next
// apply still pending, if any. The key makes each hop happen once.
func queueBehind(ctx context.Context, t *task[DeploySpec], apply store.Job) (any, error) {
	var a ApplySpec
	_ = json.Unmarshal(apply.Spec, &a)
	svc := t.Spec.Service.Name
	next, err := t.Store.EnqueueJob(ctx, store.NewJob{Kind: KindDeploy, InstallationID: t.Job.InstallationID, Repo: t.Job.Repo,
		PR: t.Job.PR, SHA: t.Job.SHA, Key: fmt.Sprintf("%s#behind-%d", deployKey(t.Job.Repo, t.Job.SHA, svc), t.Job.ID), Unique: true,
		Mutex: apply.Mutex, Spec: t.Job.Spec, MaxAttempts: 1})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return nil, fmt.Errorf("queueing the deployment of %s behind the apply of %s: %w", svc, a.Project.Name, err)
	}
	t.Log.Info("deployment queued behind an apply of its commit", "service", svc, "project", a.Project.Name,
		"apply_job", apply.ID, "next_job", next.ID)
	return deployResult{WaitingFor: a.Project.Name, Next: next.ID}, nil
}

// commitApplies finds where the applies of a deployment's commit stand: those that ended without
// applying (held), and those queued or running (pending, oldest first). Each project's newest apply
// counts — a confirmed or retried apply replaces the one it confirms — and the apply job
// applied, which has succeeded but not yet finished, counts as applied.
func commitApplies(ctx context.Context, st store.Store, repo string, d DeploySpec, applied int64) (held []render.HeldApply, pending []store.Job, err error) {
	jobs, err := st.ListJobs(ctx, store.JobFilter{Repo: repo, Kind: KindApply, SHA: d.SHA})
	if err != nil {
		return nil, nil, fmt.Errorf("listing the applies of %s: %w", short(d.SHA), err)
	}
	latest := map[string]store.Job{}
	var projects []string
	for _, j := range jobs {
		var a ApplySpec
		if json.Unmarshal(j.Spec, &a) != nil || a.Project.Name == "" {
			continue
		}
		if _, seen := latest[a.Project.Name]; !seen {
			projects = append(projects, a.Project.Name)
		}
		latest[a.Project.Name] = j // oldest first: the last one wins
	}
	for _, p := range slices.Concat(d.Applies, d.After) {
		if _, ok := latest[p]; !ok && !slices.Contains(projects, p) {
			// Queued before the deployment, always; missing only when its queueing failed.
			held = append(held, render.HeldApply{Project: p, Reason: "missing"})
			projects = append(projects, p)
		}
	}
	for _, p := range projects {
		j, ok := latest[p]
		if !ok {
			continue
		}
		var res applyResult
		switch {
		case j.ID == applied:
		case !j.State.Done():
			pending = append(pending, j)
		case j.State == store.Succeeded && json.Unmarshal(j.Result, &res) == nil && res.Applied:
		case j.State == store.Succeeded && res.Held != "":
			held = append(held, render.HeldApply{Project: p, Reason: res.Held})
		default:
			held = append(held, render.HeldApply{Project: p, Reason: string(j.State)})
		}
	}
	return held, pending, nil
}

// reportHeld tells the pull request why a service was not deployed; a direct push, which has
// none, gets a neutral check run on its commit.
func (t *task[S]) reportHeld(ctx context.Context, h render.DeployHeld) error {
	body := render.DeployHeldMarkdown(h)
	if t.Job.PR != 0 {
		_, err := t.GH.Reply(ctx, t.Repo, t.Job.PR, body)
		return err
	}
	_, err := t.GH.CreateCheckRun(ctx, t.Repo, gh.CheckRun{Name: "gantry/deploy: " + h.Service, HeadSHA: h.Commit, DetailsURL: t.jobURL(),
		Status: "completed", Conclusion: "neutral", Title: "Not deployed: an apply of this commit did not succeed", Summary: body})
	return err
}

// requeueHeldDeploys queues again the deployments of the apply's commit that were held back by
// an apply that did not succeed, once none of the commit's applies stands in their way — the
// apply t runs having just applied. runApply calls it when a confirmed or retried apply
// succeeds. Each held deployment is queued again at most once, even when two applies of the
// commit succeed at the same time.
func requeueHeldDeploys(ctx context.Context, t *task[ApplySpec]) ([]int64, error) {
	sha := t.Spec.SHA
	jobs, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: t.Repo.String(), Kind: KindDeploy, SHA: sha})
	if err != nil {
		return nil, fmt.Errorf("listing the deployments of %s: %w", short(sha), err)
	}
	latest := map[string]store.Job{}
	var services []string
	for _, j := range jobs {
		var d DeploySpec
		if json.Unmarshal(j.Spec, &d) != nil {
			continue
		}
		if _, seen := latest[d.Service.Name]; !seen {
			services = append(services, d.Service.Name)
		}
		latest[d.Service.Name] = j
	}
	var ids []int64
	for _, name := range services {
		j := latest[name]
		var res deployResult
		if j.State != store.Succeeded || json.Unmarshal(j.Result, &res) != nil || len(res.Blocked) == 0 {
			continue
		}
		var d DeploySpec
		_ = json.Unmarshal(j.Spec, &d)
		// A still-running apply does not stop it: the deployment waits for it, and is held again if it fails.
		held, _, err := commitApplies(ctx, t.Store, t.Repo.String(), d, t.Job.ID)
		if err != nil {
			return ids, err
		}
		if len(held) > 0 {
			continue
		}
		again, err := t.Store.EnqueueJob(ctx, store.NewJob{Kind: KindDeploy, InstallationID: j.InstallationID, Repo: j.Repo,
			PR: j.PR, SHA: sha, Key: fmt.Sprintf("%s#after-%d", deployKey(j.Repo, sha, name), j.ID), Unique: true,
			Mutex: applyMutex(j.Repo, t.Spec.Project), Spec: j.Spec, MaxAttempts: 1})
		switch {
		case errors.Is(err, store.ErrDuplicate):
		case err != nil:
			return ids, fmt.Errorf("queueing the deployment of %s again: %w", name, err)
		default:
			ids = append(ids, again.ID)
		}
	}
	return ids, nil
}

// deployComment posts a deployment's report on its pull request (direct pushes have none).
func (t *task[S]) deployComment(ctx context.Context, body string) error {
	if t.Job.PR == 0 {
		return nil
	}
	_, err := t.GH.Reply(ctx, t.Repo, t.Job.PR, t.withJobLink(body))
	return err
}
