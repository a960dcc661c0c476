// Package terraform runs the Terraform (or OpenTofu) binary for gantry: init, workspace, plan, show and
// apply, each as a child process with an environment built from an allow-list for that run only, its
// output captured up to a limit, and its whole process group stopped when the run is canceled or
// times out.
//
// The steps are started with os/exec through internal/sandbox, not with hashicorp/terraform-exec:
// terraform-exec signals only the terraform process on cancel (a provider or a process it started
// survives, and the call blocks on its open output), it copies variables of the server's own
// environment into every step even with SetEnv, and it has no way to run a step as another user. A
// pull request's Terraform is hostile code (SPEC §10): each step here runs as the sandbox user with
// the job's group, in an environment built from nothing, and is stopped with its whole process group.
package terraform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/sandbox"
)

// Defaults for the Options left zero.
const (
	DefaultLockTimeout = 5 * time.Minute
	DefaultStopGrace   = time.Minute
	DefaultMaxOutput   = 4 << 20
)

// Options configure a Runner; the zero value works.
type Options struct {
	// PluginCacheDir holds the provider plugin caches (TF_PLUGIN_CACHE_DIR) shared by runs: one for
	// pull-request code (pull-requests/) and one for trusted code (trusted/), so nothing a pull
	// request's run writes is ever executed by a trusted run. Created when missing. Empty: no cache.
	PluginCacheDir string
	// Sandbox runs every step (nil: sandbox.Off, the server's own user).
	Sandbox *sandbox.Sandbox
	// MaxOutput bounds what is kept of each stream a step prints (default DefaultMaxOutput): a plan
	// can print without end, and what is kept is stored and posted. Past it, the text says what was
	// cut, and a plan whose JSON is cut fails.
	MaxOutput int
	// Redact filters what a step printed before anything else sees it, so a secret a plan prints is
	// gone before its output is cut into comment parts (a cut could split it past recognition).
	// nil: nothing is filtered.
	Redact *redact.Filter
	// Timeout bounds one Plan or Apply, every step included. Zero: only the caller's context bounds it.
	Timeout time.Duration
	// LockTimeout is how long plan and apply wait for the state lock (-lock-timeout).
	LockTimeout time.Duration
	// StopGrace is how long a canceled step may take to stop after its process group got SIGINT
	// (Terraform then releases the state lock and writes what it applied) before the group is killed.
	StopGrace time.Duration
	// Log receives one record per step (step, directory, duration); never environment values.
	Log *slog.Logger
}

// Runner runs one Terraform binary. It is safe for concurrent use; runs share nothing but the
// plugin cache and the cached version.
type Runner struct {
	bin  string
	opts Options
	log  *slog.Logger

	// initSlot serializes init per plugin cache: Terraform installs providers into the cache without
	// locking, so two inits fetching the same provider at once can corrupt it. Only one Runner per
	// cache directory must exist in a process for this to hold.
	initSlot map[sandbox.Trust]chan struct{}

	versionMu sync.Mutex
	version   *Version
}

// New returns a Runner for bin: a path (as GANTRY_TERRAFORM_BIN gives it) or a name looked up on
// PATH; empty means "terraform" on PATH, then "tofu".
func New(bin string, opts Options) (*Runner, error) {
	path, err := resolveBinary(bin)
	if err != nil {
		return nil, err
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = DefaultStopGrace
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	if opts.Sandbox == nil {
		opts.Sandbox = sandbox.Off("")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{bin: path, opts: opts, log: log}
	if opts.PluginCacheDir != "" {
		if err := os.MkdirAll(opts.PluginCacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the Terraform plugin cache %s: %w: make its parent writable or choose another directory", opts.PluginCacheDir, err)
		}
		if opts.Sandbox.On() {
			// Passable, not listable: each run reaches the cache its trust is allowed.
			if err := os.Chmod(opts.PluginCacheDir, 0o711); err != nil {
				return nil, fmt.Errorf("opening the Terraform plugin cache %s to the sandbox user: %w", opts.PluginCacheDir, err)
			}
		}
		r.initSlot = map[sandbox.Trust]chan struct{}{}
		for _, t := range []sandbox.Trust{sandbox.PullRequest, sandbox.Trusted} {
			if err := opts.Sandbox.PrepareCache(r.pluginCache(t), t); err != nil {
				return nil, fmt.Errorf("creating the %s Terraform plugin cache %s: %w", t, r.pluginCache(t), err)
			}
			r.initSlot[t] = make(chan struct{}, 1)
		}
	}
	return r, nil
}

// pluginCache is the plugin cache of runs of one trust; "" without a cache.
func (r *Runner) pluginCache(t sandbox.Trust) string {
	if r.opts.PluginCacheDir == "" {
		return ""
	}
	if t == sandbox.Trusted {
		return filepath.Join(r.opts.PluginCacheDir, "trusted")
	}
	return filepath.Join(r.opts.PluginCacheDir, "pull-requests")
}

// Binary is the absolute path of the binary the Runner runs.
func (r *Runner) Binary() string { return r.bin }

func resolveBinary(bin string) (string, error) {
	candidates := []string{bin}
	if bin == "" {
		candidates = []string{"terraform", "tofu"}
	}
	var lastErr error
	for _, c := range candidates {
		found, err := exec.LookPath(c)
		if err != nil {
			lastErr = err
			continue
		}
		// Steps run with the project's directory as working directory, where a relative path would
		// point somewhere else.
		abs, err := filepath.Abs(found)
		if err != nil {
			return "", fmt.Errorf("resolving the Terraform binary %s: %w", found, err)
		}
		return abs, nil
	}
	if bin == "" {
		return "", fmt.Errorf("neither terraform nor tofu is on PATH: set GANTRY_TERRAFORM_BIN to a Terraform or OpenTofu binary: %w", lastErr)
	}
	return "", fmt.Errorf("the Terraform binary %q is not an executable file: set GANTRY_TERRAFORM_BIN to a Terraform or OpenTofu binary: %w", bin, lastErr)
}

// errRunTimeout is the cause of a run's context when Options.Timeout passes.
var errRunTimeout = errors.New("run timed out")

// runContext bounds one Plan or Apply by Options.Timeout.
func (r *Runner) runContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.opts.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, r.opts.Timeout, errRunTimeout)
}

// acquireInit waits for the init slot of a plugin cache, or for ctx.
func (r *Runner) acquireInit(ctx context.Context, t sandbox.Trust) (release func(), err error) {
	slot := r.initSlot[t]
	if slot == nil {
		return func() {}, nil
	}
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
