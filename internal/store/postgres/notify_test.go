package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
)

// wakeTimeout is how long a test waits for a notification: generous, since what is checked is
// that one arrives, not how fast.
const wakeTimeout = 30 * time.Second

// listen runs s.Listen until the test ends and returns the channel its wake-ups arrive on,
// after the first one, which says that it listens.
func listen(t *testing.T, s *Store) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	woken := make(chan struct{}, 100)
	returned := make(chan error, 1)
	go func() { returned <- s.Listen(ctx, func() { woken <- struct{}{} }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-returned; err != nil {
			t.Errorf("Listen returned %v when its context ended, want nil", err)
		}
	})
	select {
	case <-woken:
	case err := <-returned:
		t.Fatalf("Listen: %v", err)
	case <-time.After(wakeTimeout):
		t.Fatal("Listen did not start listening")
	}
	return woken
}

// expectWake fails t unless woken receives within wakeTimeout.
func expectWake(t *testing.T, woken <-chan struct{}, after string) {
	t.Helper()
	select {
	case <-woken:
	case <-time.After(wakeTimeout):
		t.Fatalf("no wake-up on the other replica within %s after %s", wakeTimeout, after)
	}
}

// An idle worker on one replica starts a job queued through another at once, instead of at its
// next poll: every write that makes a job claimable wakes the listeners of every replica.
func TestAJobMadeClaimableOnOneReplicaWakesAnother(t *testing.T) {
	t.Parallel()
	mutexJob := store.NewJob{Kind: "apply", Repo: "a/r", Key: "apply:a/r", Mutex: "apply:a/r:production", MaxAttempts: 2}
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store) // before listening
		act   func(t *testing.T, s *Store)
	}{
		{"a job queued", nil, func(t *testing.T, s *Store) {
			mustDo(t, "EnqueueJob", func() error { _, err := s.EnqueueJob(t.Context(), store.NewJob{Kind: "plan"}); return err })
		}},
		{"a delivery with jobs recorded", nil, func(t *testing.T, s *Store) {
			mustDo(t, "RecordDelivery", func() error {
				_, err := s.RecordDelivery(t.Context(), store.Delivery{ID: "d1", Event: "push"}, []store.NewJob{{Kind: "plan"}})
				return err
			})
		}},
		{"a job of a mutex finished", claimOne(mutexJob), func(t *testing.T, s *Store) {
			mustDo(t, "FinishJob", func() error {
				return s.FinishJob(t.Context(), 1, "w", store.Outcome{State: store.Succeeded})
			})
		}},
		{"a queued job of a mutex canceled", func(t *testing.T, s *Store) {
			mustDo(t, "EnqueueJob", func() error { _, err := s.EnqueueJob(t.Context(), mutexJob); return err })
		}, func(t *testing.T, s *Store) {
			mustDo(t, "CancelJobs", func() error { _, err := s.CancelJobs(t.Context(), mutexJob.Key, 0); return err })
		}},
		{"an expired lease requeued", claimOne(mutexJob), func(t *testing.T, s *Store) {
			mustDo(t, "ExpireLeases", func() error {
				_, err := s.ExpireLeases(t.Context(), time.Now().Add(2*time.Minute))
				return err
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			replicas := openReplicas(t, 2)
			if tt.setup != nil {
				tt.setup(t, replicas[0])
			}
			woken := listen(t, replicas[1])
			tt.act(t, replicas[0])
			expectWake(t, woken, tt.name)
		})
	}
}

// claimOne queues nj and claims it as worker w.
func claimOne(nj store.NewJob) func(t *testing.T, s *Store) {
	return func(t *testing.T, s *Store) {
		mustDo(t, "EnqueueJob", func() error { _, err := s.EnqueueJob(t.Context(), nj); return err })
		if _, ok, err := s.ClaimJob(t.Context(), "w", time.Minute); err != nil || !ok {
			t.Fatalf("ClaimJob = %v, %v", ok, err)
		}
	}
}

func mustDo(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// When its connection breaks, Listen says so, so that the caller polls and listens again.
func TestListenReturnsAnErrorWhenItsConnectionBreaks(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := t.Context()
	returned := make(chan error, 1)
	listening := make(chan struct{}, 100)
	go func() { returned <- s.Listen(ctx, func() { listening <- struct{}{} }) }()
	select {
	case <-listening:
	case <-time.After(wakeTimeout):
		t.Fatal("Listen did not start listening")
	}
	// The server ends the listening session, as a restart or an operator would.
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminating the listening session: %d sessions, %v", n, err)
	}
	select {
	case err := <-returned:
		if err == nil {
			t.Error("Listen returned nil after its connection broke, want an error")
		}
	case <-time.After(wakeTimeout):
		t.Fatal("Listen did not return after its connection broke")
	}
}
