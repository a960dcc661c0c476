package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/store"
)

// Pool is the local executor: a bounded set of workers in the server process that claim
// queued jobs from the store and run their handlers.
type Pool struct {
	Store    store.Store
	Handlers Registry
	// Workers is how many jobs run at once (GANTRY_WORKERS).
	Workers int
	// Owner names this process in job claims; NewOwner gives a unique one.
	Owner string
	// Lease is how long a claim lasts without renewal; workers renew it every Lease/3.
	Lease time.Duration
	// Poll is how often idle workers look for queued jobs when nobody calls Wake. A Store that
	// is a store.Notifier wakes them as soon as any process queues a job; Poll is then the
	// fallback for a missed notification.
	Poll time.Duration
	// Drain is how long running jobs may go on after Run's context is canceled.
	Drain time.Duration
	// SingleReplica says no other process shares the store (the embedded SQLite database):
	// at start every running job is then known to be orphaned, without waiting for its lease.
	SingleReplica bool
	Reporter      Reporter // optional
	Observer      Observer // optional
	Log           *slog.Logger
	// Redact filters a failed job's error text before it is stored, since reporters post it on GitHub and a
	// handler's error may quote what a pull request's code printed. Nil stores it as it is.
	Redact *redact.Filter

	wake chan struct{}
	once sync.Once
}

// Observer is told when jobs start and end (metrics).
type Observer interface {
	JobStarted(kind string)
	JobFinished(kind string, state store.JobState, d time.Duration)
}

// NewOwner returns a claim owner name unique to this process: host, pid and a random suffix.
func NewOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

func (p *Pool) init() {
	p.once.Do(func() {
		p.wake = make(chan struct{}, 1)
		if p.Workers < 1 {
			p.Workers = 1
		}
		if p.Owner == "" {
			p.Owner = NewOwner()
		}
		if p.Lease <= 0 {
			p.Lease = time.Minute
		}
		if p.Poll <= 0 {
			p.Poll = time.Second
		}
		if p.Drain <= 0 {
			p.Drain = 30 * time.Second
		}
		if p.Log == nil {
			p.Log = slog.Default()
		}
	})
}

// Wake tells an idle worker that a job was queued, so it starts without waiting for Poll.
func (p *Pool) Wake() {
	p.init()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run recovers jobs orphaned by an earlier process, then runs queued jobs until ctx is
// canceled. It then stops claiming and waits up to Drain for running jobs; jobs still running
// after that are canceled and recorded as failed. Run returns when every worker has stopped.
func (p *Pool) Run(ctx context.Context) error {
	p.init()
	recoverAt := time.Now()
	if p.SingleReplica {
		// Every lease in the store was taken by a process that is gone, however long it was.
		recoverAt = recoverAt.AddDate(100, 0, 0)
	}
	if err := p.expire(ctx, recoverAt); err != nil {
		return fmt.Errorf("recovering jobs of a previous run: %w", err)
	}
	p.sweep(ctx)

	// Jobs run under their own context so that stopping intake does not stop them at once.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	var wg sync.WaitGroup
	for range p.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx, jobCtx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.reap(ctx)
	}()
	if n, ok := p.Store.(store.Notifier); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.listen(ctx, n)
		}()
	}

	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(p.Drain):
		p.Log.Warn("shutdown deadline passed; canceling running jobs", "drain", p.Drain)
		cancelJobs()
		<-done
	}
	return nil
}

func (p *Pool) work(ctx, jobCtx context.Context) {
	ticker := time.NewTicker(p.Poll)
	defer ticker.Stop()
	for ctx.Err() == nil {
		j, ok, err := p.Store.ClaimJob(ctx, p.Owner, p.Lease)
		if err != nil {
			if ctx.Err() == nil {
				p.Log.Error("claiming a job failed; retrying", "err", err)
			}
		}
		if ok {
			p.Wake() // there may be more; let another idle worker look
			p.runOne(ctx, jobCtx, j)
			continue
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-ticker.C:
		}
	}
}

// listen wakes an idle worker whenever another process sharing the store queued a job or made
// one claimable; while it cannot listen the workers poll, and it tries again after a pause.
func (p *Pool) listen(ctx context.Context, n store.Notifier) {
	pause := min(p.Poll, time.Second)
	for {
		err := n.Listen(ctx, p.Wake)
		if ctx.Err() != nil {
			return
		}
		p.Log.Warn("listening for queued jobs failed; polling until it works again", "err", err, "retry_in", pause)
		// A notification may have been missed while not listening.
		p.Wake()
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(pause*2, time.Minute)
	}
}

// reap periodically fails or requeues jobs whose worker stopped renewing (another replica died).
func (p *Pool) reap(ctx context.Context) {
	t := time.NewTicker(p.Lease / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.expire(ctx, time.Now()); err != nil && ctx.Err() == nil {
				p.Log.Error("expiring job leases failed", "err", err)
			}
			p.sweep(ctx)
		}
	}
}

func (p *Pool) expire(ctx context.Context, now time.Time) error {
	jobs, err := p.Store.ExpireLeases(ctx, now)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		log := p.jobLog(j)
		if j.State == store.Queued {
			log.Warn("job's worker stopped; queued again", "attempts", j.Attempts)
			p.closeOpened(ctx, j, log)
			p.Wake()
			continue
		}
		log.Error("job's worker stopped; job failed", "err", j.Error)
		if p.Observer != nil {
			p.Observer.JobFinished(j.Kind, store.Failed, 0)
		}
		if p.Reporter != nil {
			if err := p.Reporter.ReportAbandoned(ctx, j); err != nil {
				log.Error("reporting an abandoned job failed", "err", err)
			}
		}
	}
	return nil
}

// sweep finishes the reports of jobs whose reporting was cut off, when the Reporter can.
func (p *Pool) sweep(ctx context.Context) {
	if s, ok := p.Reporter.(Sweeper); ok {
		if err := s.CloseLeftOpen(ctx); err != nil && ctx.Err() == nil {
			p.Log.Error("ending what cut-off jobs left open on GitHub failed", "err", err)
		}
	}
}

// closeOpened ends what j left open outside, when the Reporter can.
func (p *Pool) closeOpened(ctx context.Context, j store.Job, log *slog.Logger) {
	if c, ok := p.Reporter.(Closer); ok {
		if err := c.CloseOpened(ctx, j); err != nil {
			log.Error("ending what the job opened on GitHub failed", "err", err)
		}
	}
}

func (p *Pool) jobLog(j store.Job) *slog.Logger {
	return p.Log.With("job_id", j.ID, "job_kind", j.Kind, "installation", j.InstallationID, "repo", j.Repo,
		"pr", j.PR, "delivery", j.DeliveryID)
}

// runOne runs a claimed job to its end and records the outcome.
func (p *Pool) runOne(ctx, jobCtx context.Context, j store.Job) {
	log := p.jobLog(j)
	runCtx, cancel := context.WithCancelCause(jobCtx)
	defer cancel(nil)

	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		p.renew(runCtx, j, cancel, log)
	}()

	start := time.Now()
	if p.Observer != nil {
		p.Observer.JobStarted(j.Kind)
	}
	log.Info("job started", "attempt", j.Attempts)
	result, err := p.call(runCtx, j, log)
	cause := context.Cause(runCtx)
	cancel(nil)
	<-renewDone

	out := store.Outcome{State: store.Succeeded, Result: result}
	switch {
	case errors.Is(cause, errLeaseLost):
		// Someone else owns the job now (our lease expired); recording anything would be wrong.
		log.Error("job lease lost while running; outcome not recorded", "err", err)
		return
	case errors.Is(cause, errCancelRequested):
		out = store.Outcome{State: store.Canceled, Error: "canceled: superseded by newer work"}
	case err != nil && jobCtx.Err() != nil:
		out = store.Outcome{State: store.Failed, Error: "the server shut down before the job finished: " + err.Error()}
	case err != nil:
		out = store.Outcome{State: store.Failed, Error: err.Error()}
	}
	out.Error = p.Redact.String(out.Error)
	// The job's outcome must be recorded even while the server is shutting down.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	if ferr := p.Store.FinishJob(fctx, j.ID, p.Owner, out); ferr != nil {
		log.Error("recording the job outcome failed", "err", ferr, "state", out.State)
		return
	}
	d := time.Since(start)
	if p.Observer != nil {
		p.Observer.JobFinished(j.Kind, out.State, d)
	}
	j.State, j.Error = out.State, out.Error
	switch {
	case out.State == store.Failed && jobCtx.Err() != nil:
		log.Error("job failed", "err", out.Error, "duration", d)
		if p.Reporter != nil {
			if rerr := p.Reporter.ReportAbandoned(fctx, j); rerr != nil {
				log.Error("reporting an interrupted job failed", "err", rerr)
			}
		}
		return
	case out.State == store.Failed || out.State == store.Canceled:
		if out.State == store.Failed {
			log.Error("job failed", "err", out.Error, "duration", d)
		} else {
			log.Info("job finished", "state", out.State, "duration", d)
		}
		// The handler reports its own failures; what it left open (a panic, a timeout, a
		// cancellation mid-way) is ended here.
		p.closeOpened(fctx, j, log)
		return
	}
	log.Info("job finished", "state", out.State, "duration", d)
}

var (
	errLeaseLost       = errors.New("job lease lost")
	errCancelRequested = errors.New("job cancel requested")
)

// call runs the handler, turning a panic into an error so one bad job cannot stop the server.
func (p *Pool) call(ctx context.Context, j store.Job, log *slog.Logger) (result []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("job handler panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: the %s handler panicked: %v", j.Kind, r)
		}
	}()
	h, err := p.Handlers.Handler(j.Kind)
	if err != nil {
		return nil, err
	}
	return h.Run(ctx, j, log)
}

// renew keeps the claim alive while the job runs and cancels it when asked to.
func (p *Pool) renew(ctx context.Context, j store.Job, cancel context.CancelCauseFunc, log *slog.Logger) {
	t := time.NewTicker(p.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), p.Lease/3)
		cancelRequested, err := p.Store.RenewLease(rctx, j.ID, p.Owner, p.Lease)
		rcancel()
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(errLeaseLost)
			return
		case err != nil:
			log.Warn("renewing the job lease failed; will retry", "err", err)
		case cancelRequested:
			log.Info("job canceled: superseded by newer work")
			cancel(errCancelRequested)
			return
		}
	}
}
