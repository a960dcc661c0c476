package terraform

import (
	"context"
	"errors"
	"time"

	"github.com/classla/gantry/internal/sandbox"
)

// PlanRequest is one plan of one project.
type PlanRequest struct {
	Dir             string            // the project's directory inside the checkout
	Workspace       string            // "default" (or "") or another, selected and created when missing
	BackendConfig   map[string]string // each passed as -backend-config=KEY=VALUE, sorted by key
	Args            []string          // extra plan arguments, already validated (from `/plan -- ARGS`)
	Env             map[string]string // the run's own variables (AWS credentials), added to the base environment
	RequiredVersion string            // the project's terraform_version ("1.5.7", "~> 1.5"); "" for none
	PlanFile        string            // where the binary plan is written (-out); relative to Dir unless absolute
	// Jail is the job the run belongs to: its steps run as the sandbox user with the job's group,
	// HOME and TMPDIR private to the job. nil runs them with a temporary HOME of the server's (a plan
	// run by hand).
	Jail *sandbox.Jail
	// Trust picks the plugin cache: the zero value, sandbox.PullRequest, for a pull request's code;
	// sandbox.Trusted only for a commit of the default branch.
	Trust sandbox.Trust
}

// PlanResult is a plan that was made.
type PlanResult struct {
	Version    Version
	HasChanges bool   // plan -detailed-exitcode said so (resources or outputs change)
	JSON       []byte // show -json PLANFILE
	Text       string // show -no-color PLANFILE: the human-readable plan
	Log        string // stdout of init, workspace and plan
	Duration   time.Duration
}

func (req PlanRequest) validate() error {
	switch {
	case req.Dir == "":
		return errors.New("PlanRequest.Dir is empty: set it to the project's directory in the checkout")
	case req.PlanFile == "":
		return errors.New("PlanRequest.PlanFile is empty: set where the plan file is written")
	}
	return checkEnv("PlanRequest.Env", req.Env)
}

// Plan checks the version pin, then runs init, the workspace step, plan and show -json; the
// human-readable plan is what plan printed, so no further run of the binary is needed. When a
// step fails the error is a *RunError (a *VersionError for the pin) and the result is still
// returned, with the Version, Log and Duration so far, for the comment that reports the failure.
func (r *Runner) Plan(ctx context.Context, req PlanRequest) (*PlanResult, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	ctx, cancel := r.runContext(ctx)
	defer cancel()
	res := &PlanResult{}
	err := r.plan(ctx, req, res)
	res.Duration = time.Since(start)
	return res, err
}

func (r *Runner) plan(ctx context.Context, req PlanRequest, res *PlanResult) error {
	v, err := r.Version(ctx)
	if err != nil {
		return err
	}
	res.Version = v
	if err := checkPin(r.bin, v, req.RequiredVersion); err != nil {
		return err
	}
	s, err := r.newSession(req.Dir, req.Env, req.Jail, req.Trust)
	if err != nil {
		return err
	}
	defer s.close()

	res.Log, err = s.prepare(ctx, v, req.Workspace, req.BackendConfig)
	if err != nil {
		return err
	}
	out, err := s.run(ctx, "plan", planArgs(req.PlanFile, r.opts.LockTimeout, req.Args), planExitChanges)
	res.Log += out.stdout
	if err != nil {
		return err
	}
	res.HasChanges = out.code == planExitChanges

	out, err = s.run(ctx, "show", showJSONArgs(req.PlanFile))
	if err != nil {
		return err
	}
	if out.stdoutCut > 0 {
		return &RunError{Step: "show", Err: &OutputLimitError{Max: r.opts.MaxOutput, Size: int64(len(out.stdout)) + out.stdoutCut}}
	}
	res.JSON = []byte(out.stdout)
	res.Text = planText(res.Log)
	return nil
}
