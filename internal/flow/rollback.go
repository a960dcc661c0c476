package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/classla/gantry/internal/config"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/render"
	"github.com/classla/gantry/internal/store"
)

// KindRollback puts a service back on the task definition of an earlier deployment (spec RollbackSpec).
const KindRollback = "rollback"

// RollbackSpec is a rollback chosen when the command was read.
type RollbackSpec struct {
	Service config.Service `json:"service"`
	// Current is the deployment running now; Target the one to return to.
	Current int64  `json:"current"`
	Target  int64  `json:"target"`
	Actor   string `json:"actor"`
}

// runRollbackCommand answers `/rollback [SERVICE] [--to DEPLOYMENT_ID|SHA]`: it finds what runs
// and what to return to in the ledger, refuses what cannot be done, and queues the rollback.
// Rollbacks of one service run one after the other; one is refused while a deployment of the
// service is queued or running, so a rollback never races the deployment it would undo.
func runRollbackCommand(ctx context.Context, t *task[CommandSpec]) (any, error) {
	cmd := t.Spec.Command
	cfg, answered, res, err := commandConfig(ctx, t, "there is nothing to roll back.")
	if answered {
		return res, err
	}
	if len(cfg.Services) == 0 {
		return t.reply(ctx, "This repository has no services in `"+ConfigFile+"`, so there is nothing to roll back.")
	}
	svc, refusal := pickService(cfg, cmd.Service)
	if refusal != "" {
		return t.reply(ctx, refusal)
	}
	ledger, err := t.Store.ListDeployments(ctx, t.Repo.String(), svc.Name, 0)
	if err != nil {
		return nil, err
	}
	current, target, refusal := RollbackTarget(ledger, cmd.To)
	if refusal != "" {
		return t.reply(ctx, strings.ReplaceAll(refusal, "SERVICE", "`"+svc.Name+"`"))
	}
	busy, err := t.Store.ListJobs(ctx, store.JobFilter{Repo: t.Repo.String(), Kind: KindDeploy,
		States: []store.JobState{store.Queued, store.Running}})
	if err != nil {
		return nil, err
	}
	for _, j := range busy {
		var d DeploySpec
		if json.Unmarshal(j.Spec, &d) == nil && d.Service.Name == svc.Name {
			return t.reply(ctx, fmt.Sprintf("A deployment of `%s` (commit `%s`) is in progress; nothing was changed. "+
				"Comment `/rollback` again once it has ended.", svc.Name, short(d.SHA)))
		}
	}
	s := RollbackSpec{Service: *svc, Current: current.ID, Target: target.ID, Actor: t.Spec.Author}
	j, err := t.Store.EnqueueJob(ctx, store.NewJob{Kind: KindRollback, InstallationID: t.Job.InstallationID, Repo: t.Job.Repo,
		PR: t.Job.PR, SHA: target.SHA, Mutex: "rollback:" + t.Job.Repo + ":" + svc.Name, Spec: spec(s), MaxAttempts: 1})
	if err != nil {
		return nil, err
	}
	return map[string]any{"rollback_job": j.ID, "target": target.ID}, nil
}

// pickService finds the service a /rollback names; with none named and one configured, that one.
func pickService(cfg *config.Repo, name string) (*config.Service, string) {
	if name == "" {
		if len(cfg.Services) == 1 {
			return &cfg.Services[0], ""
		}
		return nil, "Name the service to roll back: `/rollback SERVICE` (services: " + serviceList(cfg) + ")."
	}
	if svc, ok := cfg.Service(name); ok {
		return svc, ""
	}
	if _, ok := cfg.Project(name); ok {
		return nil, fmt.Sprintf("`%s` is a Terraform project, and `/rollback` only puts services back on an earlier image. "+
			"To roll infrastructure back, revert the pull request that changed it: the revert is planned, and applied when "+
			"it is merged.", name)
	}
	return nil, fmt.Sprintf("There is no service `%s` in `%s` (services: %s).", name, ConfigFile, serviceList(cfg))
}

func serviceList(cfg *config.Repo) string {
	names := make([]string, len(cfg.Services))
	for i, s := range cfg.Services {
		names[i] = "`" + s.Name + "`"
	}
	return strings.Join(names, ", ")
}

// RollbackTarget picks, from a service's ledger (newest first), the deployment running now and
// the one to return to: by default the latest successful one before it that ran another
// revision; with to, that deployment ID or the latest successful deployment of that commit.
// A refusal names the service as the word SERVICE for the caller to replace.
func RollbackTarget(ledger []store.Deployment, to string) (current, target store.Deployment, refusal string) {
	i := -1
	for k, d := range ledger {
		if d.State == store.DeploymentSuccess {
			i = k
			break
		}
	}
	if i < 0 {
		return current, target, "SERVICE has no successful deployment yet, so there is nothing to roll back."
	}
	current = ledger[i]
	match := func(d store.Deployment) bool {
		return d.State == store.DeploymentSuccess && d.ID != current.ID && !d.SameRelease(current)
	}
	if to != "" {
		if id, err := strconv.ParseInt(to, 10, 64); err == nil && len(to) < 7 {
			match = func(d store.Deployment) bool { return d.ID == id }
		} else {
			match = func(d store.Deployment) bool { return strings.HasPrefix(d.SHA, strings.ToLower(to)) }
		}
	}
	for _, d := range ledger {
		if d.ID == current.ID && to == "" {
			continue
		}
		if !match(d) {
			continue
		}
		switch {
		case d.State != store.DeploymentSuccess:
			return current, target, fmt.Sprintf("Deployment %d of SERVICE did not succeed (%s); pick one that did.", d.ID, d.State)
		case d.SameRelease(current):
			return current, target, fmt.Sprintf("SERVICE already runs the revision of deployment %d; nothing to do.", d.ID)
		}
		return current, d, ""
	}
	if to != "" {
		return current, target, fmt.Sprintf("SERVICE has no successful deployment %q (a deployment number or a commit SHA).", to)
	}
	return current, target, "SERVICE has no earlier successful deployment of another revision to roll back to."
}

// runRollback returns the service to the target deployment's revision — no rebuild — and records
// the rollback as a deployment of its own, linked to the one it rolled back.
func runRollback(ctx context.Context, t *task[RollbackSpec]) (any, error) {
	s, svc := t.Spec, t.Spec.Service
	current, err := t.Store.GetDeployment(ctx, s.Current)
	if err != nil {
		return nil, err
	}
	target, err := t.Store.GetDeployment(ctx, s.Target)
	if err != nil {
		return nil, err
	}
	if t.Shipper == nil && t.Remote == nil {
		return nil, errors.New("this server cannot deploy services")
	}
	d, err := t.Store.CreateDeployment(ctx, store.Deployment{Repo: t.Repo.String(), Service: svc.Name, SHA: target.SHA,
		PR: target.PR, Actor: s.Actor, Image: target.Image, ImageDigest: target.ImageDigest,
		TaskDefBefore: current.TaskDefAfter, TaskDefAfter: target.TaskDefAfter, State: store.DeploymentInProgress,
		RollbackOf: current.ID, StartedAt: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	d.GitHubDeploymentID, err = t.GH.CreateDeployment(ctx, t.Repo, gh.Deployment{Ref: target.SHA, Environment: svc.Name,
		Description: fmt.Sprintf("roll %s back to deployment %d", svc.Name, target.ID)})
	if err != nil {
		return nil, err
	}
	if err := t.GH.CreateDeploymentStatus(ctx, t.Repo, d.GitHubDeploymentID, "in_progress", "rolling back", t.jobURL(), t.serviceURL(d.Service)); err != nil {
		return nil, err
	}
	res, err := rollBack(ctx, t, rollbackInput{TaskDefinition: target.TaskDefAfter, SHA: target.SHA})
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	d.FinishedAt, d.State = time.Now().UTC(), store.DeploymentSuccess
	if err != nil {
		d.State, d.Error = store.DeploymentFailure, err.Error()
	}
	running := d.TaskDefAfter
	if a := res.Amplify; a != nil {
		// An Amplify rollback is a new release job of the earlier commit.
		d.TaskDefAfter, running = a.ARN, "Amplify job "+a.ID
	}
	if uerr := t.Store.UpdateDeployment(rctx, d); uerr != nil {
		return nil, uerr
	}
	ok := d.State == store.DeploymentSuccess
	if serr := t.GH.CreateDeploymentStatus(rctx, t.Repo, d.GitHubDeploymentID, string(d.State),
		render.DeployStatus(d.Service, running, ok), t.jobURL(), t.serviceURL(d.Service)); serr != nil {
		return nil, serr
	}
	body := render.RollbackMarkdown(render.Rollback{Service: d.Service, Succeeded: ok,
		From: rollbackRow(current), To: rollbackRow(target), DeploymentID: d.ID, GitHubDeploymentID: d.GitHubDeploymentID,
		Duration: res.Duration, Error: d.Error, Events: res.Events})
	if _, rerr := t.GH.Reply(rctx, t.Repo, t.Job.PR, t.withJobLink(body)); rerr != nil {
		return nil, rerr
	}
	return deployResult{DeploymentID: d.ID}, err
}

// rollbackRow is how the reply to /rollback shows a deployment.
func rollbackRow(d store.Deployment) render.RollbackDeployment {
	return render.RollbackDeployment{ID: d.ID, Commit: d.SHA, PR: d.PR, TaskDefinition: d.TaskDefAfter}
}

// rollbackInput is what a rollback's run needs from the store: the revision to return to and its commit.
type rollbackInput struct {
	TaskDefinition string `json:"task_definition"`
	SHA            string `json:"sha"`
}

// rollBack puts the service back on in.TaskDefinition with the service's role: in this process or, with
// a Remote, in a runner in the service's environment.
func rollBack(ctx context.Context, t *task[RollbackSpec], in rollbackInput) (ShipResult, error) {
	svc := t.Spec.Service
	if t.Remote != nil {
		var res ShipResult
		err := t.remotely(ctx, serviceRole(svc), svc.Name, &res)
		return res, err
	}
	env, err := t.roleEnv(ctx, serviceRole(svc), 0, in.SHA)
	if err != nil {
		return ShipResult{}, err
	}
	return t.Shipper.Rollback(ctx, RollbackRequest{Service: svc, TaskDefinition: in.TaskDefinition, SHA: in.SHA, Env: env})
}
