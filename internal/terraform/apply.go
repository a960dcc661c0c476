package terraform

import (
	"context"
	"errors"
	"time"

	"github.com/classla/gantry/internal/sandbox"
)

// ApplyRequest applies a plan file made by Plan.
type ApplyRequest struct {
	Dir             string
	Workspace       string
	BackendConfig   map[string]string
	Env             map[string]string
	RequiredVersion string // checked as for Plan: a plan file only applies with the version that made it
	PlanFile        string
	Jail            *sandbox.Jail // as for PlanRequest
	Trust           sandbox.Trust // as for PlanRequest: Trusted only for a commit of the default branch
}

// ApplyResult is an apply that ran.
type ApplyResult struct {
	Version  Version
	Log      string // stdout of init, workspace and apply
	Duration time.Duration
}

func (req ApplyRequest) validate() error {
	switch {
	case req.Dir == "":
		return errors.New("ApplyRequest.Dir is empty: set it to the project's directory in the checkout")
	case req.PlanFile == "":
		return errors.New("ApplyRequest.PlanFile is empty: set it to the plan file Plan wrote")
	}
	return checkEnv("ApplyRequest.Env", req.Env)
}

// Apply checks the version pin, then runs init, the workspace step and apply of the plan file.
// Failures are returned as for Plan, with the result so far.
func (r *Runner) Apply(ctx context.Context, req ApplyRequest) (*ApplyResult, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	ctx, cancel := r.runContext(ctx)
	defer cancel()
	res := &ApplyResult{}
	err := r.apply(ctx, req, res)
	res.Duration = time.Since(start)
	return res, err
}

func (r *Runner) apply(ctx context.Context, req ApplyRequest, res *ApplyResult) error {
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
	out, err := s.run(ctx, "apply", applyArgs(req.PlanFile, r.opts.LockTimeout))
	res.Log += out.stdout
	return err
}
