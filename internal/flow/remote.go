package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
)

// PlanEnvironment is the GitHub environment plans of pull requests' code run in under the Actions
// executor (SPEC §7): the plan roles trust it, the apply roles never do.
const PlanEnvironment = "gantry-plan"

// Remote runs the part of a job that executes code — Terraform, a build — somewhere other than
// the server: a GitHub Actions runner of the repository. The server keeps everything else: the
// queue, locks, the store and every GitHub write. internal/runner implements it.
type Remote interface {
	// Execute has job j run in the GitHub environment named and decodes the outcome the runner
	// posts into out. It returns the runner's failure as an error (out may then hold what the
	// runner got to), or a *RemoteError when no outcome came: nobody claimed the job, the runner
	// went silent, or its run ended first.
	Execute(ctx context.Context, j store.Job, environment string, out any) error
}

// RemoteError is why a job sent to a runner ended without an outcome.
type RemoteError struct {
	// Started: a runner claimed the job, so its code may have run.
	Started bool
	// Reason says what happened and what to do, with the run's link when there is one.
	Reason string
}

func (e *RemoteError) Error() string { return e.Reason }

// notStarted reports whether err says a job's code never started (no runner claimed it).
func notStarted(err error) bool {
	var re *RemoteError
	return errors.As(err, &re) && !re.Started
}

// remotely runs the job's code with t.Remote in environment, assuming r there, and decodes its outcome
// into out. The allow-list is the server's: a role it refuses is never dispatched.
func (t *task[S]) remotely(ctx context.Context, r role, environment string, out any) error {
	if err := t.allowRole(r); err != nil {
		return err
	}
	return t.Remote.Execute(ctx, t.Job, environment, out)
}

// allowRole refuses a role GANTRY_ROLE_ALLOWLIST does not grant the repository, before anything is
// dispatched or assumed.
func (t *task[S]) allowRole(r role) error {
	if r.arn == "" {
		return nil
	}
	if allowed := t.Policy.RoleAllowed; allowed != nil && !allowed(t.Repo.String(), r.arn) {
		t.Log.Warn("role refused by GANTRY_ROLE_ALLOWLIST", "role", r.arn, "phase", r.phase, "for", r.owner)
		return &roleRefusal{repo: t.Repo.String(), r: r}
	}
	return nil
}

// Execute runs the code of job j — the part a Remote sends to a runner — with d and returns its
// outcome for the server, which reads and reports it: `gantry run` calls it inside a runner. input is
// what RunnerInput gave the server for the job. d needs Terraform, Workdirs, Credentials and a GitHub
// client that can read the repository; it never writes to GitHub or the store. err is the job's
// failure; outcome is set whenever there is something to report, failures included.
func Execute(ctx context.Context, d Deps, j store.Job, input []byte, log *slog.Logger) (outcome []byte, err error) {
	d.Log, d.Remote, d.Store = log, nil, nil
	switch j.Kind {
	case KindPlan:
		t, err := remoteTask[PlanSpec](d, j, log)
		if err != nil {
			return nil, err
		}
		run, runErr := planTerraform(ctx, t)
		return encodeOutcome(j, run, runErr)
	case KindApply:
		t, err := remoteTask[ApplySpec](d, j, log)
		if err != nil {
			return nil, err
		}
		var in applyInput
		if len(input) > 0 {
			if err := json.Unmarshal(input, &in); err != nil {
				return nil, fmt.Errorf("job %d: the server's input cannot be read: %w", j.ID, err)
			}
		}
		r := newApplyRun(t)
		res, runErr := r.execute(ctx, in)
		return encodeOutcome(j, applyOutcome{Comment: r.c, Result: res}, runErr)
	case KindDeploy:
		t, err := remoteTask[DeploySpec](d, j, log)
		if err != nil {
			return nil, err
		}
		res, runErr := ship(ctx, t)
		return encodeOutcome(j, res, runErr)
	case KindRollback:
		t, err := remoteTask[RollbackSpec](d, j, log)
		if err != nil {
			return nil, err
		}
		var in rollbackInput
		if err := json.Unmarshal(input, &in); err != nil || in.TaskDefinition == "" {
			return nil, fmt.Errorf("job %d: the server sent no revision to roll back to: the runner and the server run different gantry versions?", j.ID)
		}
		res, runErr := rollBack(ctx, t, in)
		return encodeOutcome(j, res, runErr)
	}
	return nil, fmt.Errorf("job %d is a %s job, which runs in the server, not in a runner: the server and the runner run different gantry versions?", j.ID, j.Kind)
}

// RunnerInput is what the runner of job j needs from the store, given with its claim (nil when the
// job's spec is all it needs): read when the runner claims the job, by whichever replica answers.
func RunnerInput(ctx context.Context, d Deps, j store.Job) ([]byte, error) {
	switch j.Kind {
	case KindApply:
		t, err := remoteTask[ApplySpec](d, j, d.Log)
		if err != nil {
			return nil, err
		}
		in, err := readApplyInput(ctx, t)
		if err != nil {
			return nil, err
		}
		return json.Marshal(in)
	case KindRollback:
		var s RollbackSpec
		if err := json.Unmarshal(j.Spec, &s); err != nil {
			return nil, fmt.Errorf("job %d (%s) has an unreadable spec: %w", j.ID, j.Kind, err)
		}
		target, err := d.Store.GetDeployment(ctx, s.Target)
		if err != nil {
			return nil, fmt.Errorf("reading deployment %d to roll back to: %w", s.Target, err)
		}
		return json.Marshal(rollbackInput{TaskDefinition: target.TaskDefAfter, SHA: target.SHA})
	}
	return nil, nil
}

// remoteTask is the task of a job a runner executes: its spec decoded, the runner's GitHub client.
func remoteTask[S any](d Deps, j store.Job, log *slog.Logger) (*task[S], error) {
	t := &task[S]{Deps: d, Job: j, Log: log}
	if err := json.Unmarshal(j.Spec, &t.Spec); err != nil {
		return nil, fmt.Errorf("job %d (%s) has an unreadable spec: %w", j.ID, j.Kind, err)
	}
	r, err := gh.ParseRepo(j.Repo)
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", j.ID, err)
	}
	t.Repo = r
	if d.GitHub != nil {
		t.GH = d.GitHub(j.InstallationID) // a runner's client ignores it: it reads with the run's token
	}
	return t, nil
}

func encodeOutcome(j store.Job, v any, runErr error) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding the outcome of job %d: %w", j.ID, err)
	}
	return b, runErr
}
