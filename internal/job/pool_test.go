package job_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
)

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func enqueue(t *testing.T, st store.Store, kind string) store.Job {
	t.Helper()
	j, err := st.EnqueueJob(context.Background(), store.NewJob{Kind: kind, Repo: "classla/lms", PR: 7, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// waitDone polls until the job reaches a final state (bounded, not a timing assertion).
func waitDone(t *testing.T, st store.Store, id int64) store.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		j, err := st.GetJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Done() {
			return j
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
	return store.Job{}
}

type reporter struct {
	mu   sync.Mutex
	jobs []store.Job
}

func (r *reporter) ReportAbandoned(_ context.Context, j store.Job) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, j)
	return nil
}

func (r *reporter) reported() []store.Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Job(nil), r.jobs...)
}

func newPool(st store.Store, h job.Registry) *job.Pool {
	return &job.Pool{Store: st, Handlers: h, Workers: 2, Lease: 300 * time.Millisecond,
		Poll: 20 * time.Millisecond, Drain: 2 * time.Second, Log: slog.New(slog.DiscardHandler)}
}

func start(t *testing.T, p *job.Pool) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pool stopped with %v", err)
		}
	}
}

func TestPoolRecordsWhatEachJobDid(t *testing.T) {
	t.Parallel()
	st := openStore(t, filepath.Join(t.TempDir(), "g.db"))
	ok := enqueue(t, st, "ok")
	bad := enqueue(t, st, "bad")
	boom := enqueue(t, st, "boom")
	unknown := enqueue(t, st, "from-a-newer-gantry")
	p := newPool(st, job.Registry{
		"ok": job.HandlerFunc(func(context.Context, store.Job, *slog.Logger) ([]byte, error) {
			return []byte(`{"planned":["production"]}`), nil
		}),
		"bad": job.HandlerFunc(func(context.Context, store.Job, *slog.Logger) ([]byte, error) {
			return nil, errors.New("terraform init failed: backend bucket not found")
		}),
		"boom": job.HandlerFunc(func(context.Context, store.Job, *slog.Logger) ([]byte, error) {
			var m map[string]int
			m["x"]++ // a nil-map write: a handler bug must not take the server down
			return nil, nil
		}),
	})
	stop := start(t, p)
	defer stop()

	if j := waitDone(t, st, ok.ID); j.State != store.Succeeded || string(j.Result) != `{"planned":["production"]}` {
		t.Errorf("ok job: state %s result %s, want succeeded with its result", j.State, j.Result)
	}
	if j := waitDone(t, st, bad.ID); j.State != store.Failed || j.Error != "terraform init failed: backend bucket not found" {
		t.Errorf("bad job: state %s error %q, want failed with the handler's error", j.State, j.Error)
	}
	if j := waitDone(t, st, boom.ID); j.State != store.Failed || !strings.Contains(j.Error, "panicked") {
		t.Errorf("panicking job: state %s error %q, want failed saying it panicked", j.State, j.Error)
	}
	if j := waitDone(t, st, unknown.ID); j.State != store.Failed || !strings.Contains(j.Error, `no handler for job kind "from-a-newer-gantry"`) {
		t.Errorf("unknown kind: state %s error %q", j.State, j.Error)
	}
}

func TestPoolAfterRestartRunsQueuedJobsAndReportsInterruptedOnes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "g.db")
	// The first server queues three jobs and dies while running one of them.
	first := openStore(t, path)
	var queued []store.Job
	for range 3 {
		queued = append(queued, enqueue(t, first, "plan"))
	}
	running, ok, err := first.ClaimJob(context.Background(), "dead-server", time.Hour)
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	first.Close()

	st := openStore(t, path)
	var ran atomic.Int32
	rep := &reporter{}
	p := newPool(st, job.Registry{"plan": job.HandlerFunc(func(context.Context, store.Job, *slog.Logger) ([]byte, error) {
		ran.Add(1)
		return nil, nil
	})})
	p.SingleReplica, p.Reporter = true, rep
	stop := start(t, p)
	defer stop()

	for _, q := range queued[1:] {
		if j := waitDone(t, st, q.ID); j.State != store.Succeeded {
			t.Errorf("queued job %d: %s, want succeeded after the restart", q.ID, j.State)
		}
	}
	j := waitDone(t, st, running.ID)
	if j.State != store.Failed || !strings.Contains(j.Error, "stopped") {
		t.Errorf("interrupted job: %s %q, want failed saying the worker stopped", j.State, j.Error)
	}
	if got := rep.reported(); len(got) != 1 || got[0].ID != running.ID {
		t.Errorf("reported %v, want exactly the interrupted job %d", got, running.ID)
	}
	if ran.Load() != 2 {
		t.Errorf("handler ran %d times, want 2 (the interrupted job is not rerun)", ran.Load())
	}
}

func TestPoolCancelsASupersededRunningJob(t *testing.T) {
	t.Parallel()
	st := openStore(t, filepath.Join(t.TempDir(), "g.db"))
	started := make(chan struct{})
	p := newPool(st, job.Registry{"plan": job.HandlerFunc(func(ctx context.Context, _ store.Job, _ *slog.Logger) ([]byte, error) {
		close(started)
		<-ctx.Done() // terraform would be killed here
		return nil, ctx.Err()
	})})
	old := enqueue(t, st, "plan")
	stop := start(t, p)
	defer stop()
	<-started
	if _, err := st.CancelJobs(context.Background(), "k", 0); err != nil {
		t.Fatal(err)
	}
	if j := waitDone(t, st, old.ID); j.State != store.Canceled {
		t.Errorf("superseded job: %s %q, want canceled", j.State, j.Error)
	}
}

func TestPoolShutdownLetsRunningJobsFinishWithinTheDeadline(t *testing.T) {
	t.Parallel()
	st := openStore(t, filepath.Join(t.TempDir(), "g.db"))
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	rep := &reporter{}
	p := newPool(st, job.Registry{
		"quick": job.HandlerFunc(func(context.Context, store.Job, *slog.Logger) ([]byte, error) {
			started <- struct{}{}
			<-release
			return nil, nil
		}),
		"stuck": job.HandlerFunc(func(ctx context.Context, _ store.Job, _ *slog.Logger) ([]byte, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}),
	})
	p.Drain, p.Reporter = 300*time.Millisecond, rep
	quick := enqueue(t, st, "quick")
	stuck := enqueue(t, st, "stuck")
	stop := start(t, p)
	<-started
	<-started
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	stop() // returns after the drain deadline

	if j, _ := st.GetJob(context.Background(), quick.ID); j.State != store.Succeeded {
		t.Errorf("job that finished during the drain: %s, want succeeded", j.State)
	}
	j, _ := st.GetJob(context.Background(), stuck.ID)
	if j.State != store.Failed || !strings.Contains(j.Error, "shut down") {
		t.Errorf("job still running at the deadline: %s %q, want failed saying the server shut down", j.State, j.Error)
	}
	if got := rep.reported(); len(got) != 1 || got[0].ID != stuck.ID {
		t.Errorf("reported %v, want the job cut off by the shutdown", got)
	}
}

// notifyingStore is a store shared with "another process" that queues jobs behind the pool's
// back (no Wake) and notifies listeners, as PostgreSQL's NOTIFY does.
type notifyingStore struct {
	store.Store
	notify  chan struct{}
	listens atomic.Int32
}

func (n *notifyingStore) Listen(ctx context.Context, wake func()) error {
	if n.listens.Add(1) == 1 {
		// The first connection breaks at once: the pool must listen again.
		return errors.New("connection reset")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.notify:
			wake()
		}
	}
}

func TestPoolStartsAJobQueuedByAnotherProcessWhenNotified(t *testing.T) {
	t.Parallel()
	st := &notifyingStore{Store: openStore(t, filepath.Join(t.TempDir(), "gantry.db")), notify: make(chan struct{}, 1)}
	ran := make(chan int64, 1)
	p := newPool(st, job.Registry{"plan": job.HandlerFunc(func(_ context.Context, j store.Job, _ *slog.Logger) ([]byte, error) {
		ran <- j.ID
		return nil, nil
	})})
	// Polling alone would take an hour: only the notification can start the job in time.
	p.Poll = time.Hour
	p.Lease = time.Minute
	stop := start(t, p)
	defer stop()
	for st.listens.Load() < 2 {
		time.Sleep(5 * time.Millisecond) // the pool listens again after the broken connection
	}
	j := enqueue(t, st, "plan")
	st.notify <- struct{}{}
	select {
	case id := <-ran:
		if id != j.ID {
			t.Errorf("ran job %d, want %d", id, j.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a notified job did not start")
	}
}
