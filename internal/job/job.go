// Package job runs gantry's queued work: the handler registry that maps a job kind to the
// code that performs it, and the executors that claim jobs from the store and run them.
// The local executor is a worker pool in the server process; a GitHub Actions executor runs
// the same handlers in runners. Handlers get everything they need from the job itself, so
// they run the same in either place.
package job

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/classla/gantry/internal/store"
)

// Handler performs one kind of job. It returns a JSON result (may be nil) or an error; the
// error text is recorded on the job and shown to operators, so it must say what went wrong.
// ctx is canceled when the job is superseded or the server shuts down past its deadline.
type Handler interface {
	Run(ctx context.Context, j store.Job, log *slog.Logger) (result []byte, err error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, j store.Job, log *slog.Logger) ([]byte, error)

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, j store.Job, log *slog.Logger) ([]byte, error) {
	return f(ctx, j, log)
}

// Registry maps job kinds to their handlers.
type Registry map[string]Handler

// Handler returns the handler of kind or an error naming the kinds this build knows.
func (r Registry) Handler(kind string) (Handler, error) {
	if h, ok := r[kind]; ok {
		return h, nil
	}
	kinds := make([]string, 0, len(r))
	for k := range r {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return nil, fmt.Errorf("no handler for job kind %q (known kinds: %v): the job was queued by a newer gantry; run the same version on every replica", kind, kinds)
}

// Executor runs queued jobs until its context is canceled, then stops taking new jobs and
// lets running ones finish up to its drain deadline.
type Executor interface {
	Run(ctx context.Context) error
}

// Reporter is told about jobs that ended without their handler finishing them — the worker
// running them died or the server stopped — so users hear about it (a PR comment, a failed
// check run) instead of waiting forever.
type Reporter interface {
	ReportAbandoned(ctx context.Context, j store.Job) error
}

// Closer is a Reporter that also ends what a job opened outside (check runs, deployments on
// GitHub) when the job ended without ending them itself: canceled by newer work, failed by a
// panic or a timeout, or queued again after its worker died. It ends only what is still open.
type Closer interface {
	CloseOpened(ctx context.Context, j store.Job) error
}

// Sweeper is a Reporter that finds jobs whose report was itself cut off (the process died between
// failing the job and ending what it opened) and finishes reporting them. The pool sweeps at start
// and with every lease check.
type Sweeper interface {
	CloseLeftOpen(ctx context.Context) error
}
