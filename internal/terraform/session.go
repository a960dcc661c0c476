package terraform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"time"

	"github.com/classla/gantry/internal/sandbox"
)

// session is one run's context for its steps: the directory, the environment, the home, and how
// the sandbox runs them.
type session struct {
	r     *Runner
	dir   string
	env   []string
	home  *runHome
	proc  sandbox.Run
	trust sandbox.Trust
}

// newSession prepares a run in dir. With a jail the run's HOME and TMPDIR are private directories
// of the job; without one (a plan run by hand), a temporary HOME of the server's.
func (r *Runner) newSession(dir string, extra map[string]string, jail *sandbox.Jail, trust sandbox.Trust) (*session, error) {
	home, err := newRunHome(jail)
	if err != nil {
		return nil, err
	}
	env := buildEnv(home.dir, home.cliConfig, r.pluginCache(trust), extra)
	if home.tmp != "" {
		env = setEnv(env, "TMPDIR", home.tmp)
	}
	s := &session{r: r, dir: dir, env: env, home: home, trust: trust,
		proc: sandbox.Run{Jail: jail, Dir: dir, Env: env}}
	if r.pluginCache(trust) != "" {
		s.proc.Cache = &s.trust
	}
	return s, nil
}

func (s *session) close() { s.home.remove() }

// output is what one step printed (each stream cut at Options.MaxOutput) and how it exited.
type output struct {
	stdout, stderr string
	code           int
	stdoutCut      int64 // bytes of stdout that were not kept
}

// run executes one step and returns a *RunError when it cannot start, is stopped, or exits with a
// code not in ok (0 is always fine).
func (s *session) run(ctx context.Context, step string, args []string, ok ...int) (output, error) {
	if ctx.Err() != nil {
		return output{}, &RunError{Step: step, Err: s.stopError(ctx)}
	}
	stdout, stderr := &cappedBuffer{max: s.r.opts.MaxOutput}, &cappedBuffer{max: s.r.opts.MaxOutput}
	cmd := s.r.opts.Sandbox.Command(ctx, s.proc, s.r.bin, args...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// After the interrupt, or after the process exits while something it started still holds its
	// output open, wait this long before killing it and closing the pipes.
	cmd.WaitDelay = s.r.opts.StopGrace

	start := time.Now()
	err := cmd.Run()
	sandbox.Stop(cmd)
	if s.proc.Jail != nil {
		// A process that left the step's group (setsid) must not run on beside the next step, or
		// beside the server reading what the step wrote.
		s.proc.Jail.Reap()
	}
	out := output{stdout: s.r.opts.Redact.String(stdout.String()), stderr: s.r.opts.Redact.String(stderr.String()),
		code: cmd.ProcessState.ExitCode(), stdoutCut: stdout.cut}
	if err = s.judge(ctx, cmd, err, out.code, ok); err != nil {
		err = &RunError{Step: step, Stdout: out.stdout, Stderr: out.stderr, Err: err}
	}

	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	s.r.log.LogAttrs(ctx, level, "terraform step finished", slog.String("step", step), slog.String("dir", s.dir),
		slog.Duration("duration", time.Since(start)), slog.Int("exit_code", out.code))
	return out, err
}

// judge turns how a step ended into nil or the reason it failed.
func (s *session) judge(ctx context.Context, cmd *exec.Cmd, err error, code int, ok []int) error {
	if ctx.Err() != nil {
		return s.stopError(ctx)
	}
	if err == nil {
		return nil
	}
	if cmd.ProcessState == nil {
		return fmt.Errorf("starting %s: %w", s.r.bin, err)
	}
	success := code == 0 || slices.Contains(ok, code)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && success:
		return nil
	case errors.Is(err, exec.ErrWaitDelay) && success:
		// The step finished; something it started held its output open and was killed with the group.
		return nil
	}
	return err
}

// stopError says why a step was stopped: the run's own timeout, the caller's deadline, or a
// cancellation (with its cause when the caller gave one, such as a superseding push).
func (s *session) stopError(ctx context.Context) error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errRunTimeout):
		return fmt.Errorf("the run timed out after %s (the per-run limit) and was stopped: %w", s.r.opts.Timeout, context.DeadlineExceeded)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("the run's deadline passed and it was stopped: %w", context.DeadlineExceeded)
	case cause != nil && !errors.Is(cause, context.Canceled):
		return fmt.Errorf("the run was canceled (%v) and stopped: %w", cause, context.Canceled)
	default:
		return fmt.Errorf("the run was canceled and stopped: %w", context.Canceled)
	}
}
