package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// After are the projects this merge applies that must succeed first.
	After []string `json:"after,omitempty"`
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
	TaskDefinition string            // the revision's ARN
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
}

func deployKey(repo, sha, service string) string {
	return fmt.Sprintf("deploy:%s@%s:%s", repo, sha, service)
}

// deploySpecs are the deployments of the services files affect. A service waits for the
// applies of its `after` projects that this merge runs; when the merge applies none of them, it
// deploys anyway (after only orders).
func deploySpecs(cfg *config.Repo, files []string, applying []ApplySpec, pr int, sha, branch, by string) []DeploySpec {
	var specs []DeploySpec
	for i := range cfg.Services {
		svc := &cfg.Services[i]
		if !slices.ContainsFunc(files, svc.Affected) {
			continue
		}
		s := DeploySpec{Number: pr, SHA: sha, Branch: branch, RequestedBy: by, Service: *svc}
		for _, a := range applying {
			if slices.Contains(svc.After, a.Project.Name) {
				s.After = append(s.After, a.Project.Name)
			}
		}
		specs = append(specs, s)
	}
	return specs
}

// enqueueDeploys queues deployments once per service and commit. A deployment that waits for
// an apply shares that apply's mutex, so it is claimed only after the apply ends.
func enqueueDeploys(ctx context.Context, st store.Store, j store.Job, specs []DeploySpec, applying []ApplySpec) ([]int64, error) {
	var ids []int64
	for _, s := range specs {
		mutex := ""
		for _, a := range applying {
			if len(s.After) > 0 && a.Project.Name == s.After[0] {
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
	DeploymentID int64  `json:"deployment_id,omitempty"`
	Skipped      string `json:"skipped,omitempty"`
}

// runDeploy waits for the applies the service comes after, then builds, pushes and rolls it out,
// recording the deployment in the ledger and on GitHub and reporting on the pull request.
func runDeploy(ctx context.Context, t *task[DeploySpec]) (any, error) {
	s, svc := t.Spec, t.Spec.Service
	if blocked, err := waitForApplies(ctx, t); err != nil || blocked != "" {
		if err == nil {
			err = t.deployComment(ctx, fmt.Sprintf("### ⏭️ `%s` was not deployed\n\n%s", svc.Name, blocked))
		}
		return deployResult{Skipped: blocked}, err
	}
	if t.Shipper == nil {
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
	if err := t.GH.CreateDeploymentStatus(ctx, t.Repo, d.GitHubDeploymentID, "in_progress", "building "+short(s.SHA), "", ""); err != nil {
		return nil, err
	}
	res, shipErr := ship(ctx, t)
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
	if err := t.GH.CreateDeploymentStatus(rctx, t.Repo, d.GitHubDeploymentID, string(d.State),
		deployLine(d), "", ""); err != nil {
		return nil, err
	}
	if err := t.deployComment(rctx, deployMarkdown(d, res)); err != nil {
		return nil, err
	}
	return deployResult{DeploymentID: d.ID}, shipErr
}

// ship checks the repository out and hands it to the Shipper with the service's credentials.
func ship(ctx context.Context, t *task[DeploySpec]) (ShipResult, error) {
	s, svc := t.Spec, t.Spec.Service
	env, err := t.roleEnv(ctx, serviceRole(svc), s.Number, s.SHA)
	if err != nil {
		return ShipResult{}, err
	}
	dir, err := t.checkout(ctx, s.SHA)
	if err != nil {
		return ShipResult{}, err
	}
	defer t.remove(dir)
	return t.Shipper.Ship(ctx, ShipRequest{Service: svc, Dir: dir.Path, Jail: dir.Jail, SHA: s.SHA, Branch: s.Branch,
		Repo: t.Repo.String(), Env: env})
}

// waitForApplies waits until the applies this deployment comes after have ended; blocked says
// why it must not deploy when one of them did not succeed.
func waitForApplies(ctx context.Context, t *task[DeploySpec]) (blocked string, err error) {
	s := t.Spec
	for _, project := range s.After {
		for {
			jobs, err := t.Store.ListJobs(ctx, store.JobFilter{Key: applyKey(t.Repo.String(), s.SHA, project)})
			if err != nil {
				return "", err
			}
			if len(jobs) == 0 {
				break // this merge does not apply it
			}
			j := jobs[len(jobs)-1]
			var applied applyResult
			if j.State == store.Succeeded && json.Unmarshal(j.Result, &applied) == nil && applied.Applied {
				break
			}
			if j.State.Done() {
				return fmt.Sprintf("The apply of `%s`, which `%s` comes after, did not succeed. Once it is applied, "+
					"run `gantry deploy --service %s --ref %s`.", project, s.Service.Name, s.Service.Name, short(s.SHA)), nil
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	return "", nil
}

// deployComment posts a deployment's report on its pull request (direct pushes have none).
func (t *task[S]) deployComment(ctx context.Context, body string) error {
	if t.Job.PR == 0 {
		return nil
	}
	_, err := t.GH.Reply(ctx, t.Repo, t.Job.PR, body)
	return err
}

func deployLine(d store.Deployment) string {
	if d.State == store.DeploymentSuccess {
		return fmt.Sprintf("%s is running %s", d.Service, d.TaskDefAfter)
	}
	return "deployment failed"
}

// deployMarkdown is the pull-request report of a deployment.
func deployMarkdown(d store.Deployment, r ShipResult) string {
	var b strings.Builder
	if d.State == store.DeploymentSuccess {
		fmt.Fprintf(&b, "### 🚀 `%s` deployed `%s`\n\n", d.Service, short(d.SHA))
	} else {
		fmt.Fprintf(&b, "### ❌ `%s` deployment of `%s` failed\n\n", d.Service, short(d.SHA))
	}
	b.WriteString("| | |\n|---|---|\n")
	if d.Image != "" {
		fmt.Fprintf(&b, "| image | `%s` |\n", d.Image)
	}
	if d.TaskDefBefore != "" {
		fmt.Fprintf(&b, "| task definition | `%s` → `%s` |\n", revision(d.TaskDefBefore), revision(d.TaskDefAfter))
	}
	if r.Duration > 0 {
		fmt.Fprintf(&b, "| time to steady state | %s |\n", r.Duration.Round(time.Second))
	}
	fmt.Fprintf(&b, "| deployment | %d |\n", d.ID)
	if d.Error != "" {
		b.WriteString("\n" + render.CodeBlock(d.Error))
	}
	if len(r.Events) > 0 {
		b.WriteString("\n<details><summary>The service's last events</summary>\n\n")
		for _, e := range r.Events {
			b.WriteString("- " + strings.ReplaceAll(e, "\n", " ") + "\n")
		}
		b.WriteString("\n</details>\n")
	}
	if d.State == store.DeploymentSuccess {
		fmt.Fprintf(&b, "\nTo put the previous version back: `/rollback %s`\n", d.Service)
	}
	return b.String()
}

// revision is the family:revision part of a task definition ARN.
func revision(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
