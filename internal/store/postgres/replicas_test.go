package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/testing/pgtest"
)

// openReplicas opens n stores on one new database, as n gantry replicas would.
func openReplicas(t *testing.T, n int) []*Store {
	t.Helper()
	url := pgtest.NewDatabase(t)
	replicas := make([]*Store, n)
	for i := range replicas {
		replicas[i] = openURL(t, url)
	}
	return replicas
}

// Workers on several replicas claim from one queue: every job runs once, the jobs of a mutex
// never overlap and run in queue order, whatever the claims race on.
func TestReplicasRunEachJobOnceAndAMutexOneAtATime(t *testing.T) {
	t.Parallel()
	replicas := openReplicas(t, 3)
	ctx := t.Context()
	mutexes := []string{"apply:a/r:production", "apply:a/r:staging", ""}
	const perMutex = 15
	for i := range perMutex {
		for _, m := range mutexes {
			j := store.NewJob{Kind: "apply", Repo: "a/r", PR: i, Mutex: m}
			if _, err := replicas[i%len(replicas)].EnqueueJob(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := perMutex * len(mutexes)

	var (
		mu      sync.Mutex
		running = map[string]int{}
		order   = map[string][]int{}
		runs    = map[int64]int{}
		done    int
	)
	var wg sync.WaitGroup
	for r, s := range replicas {
		for w := range 3 {
			owner := fmt.Sprintf("replica%d-worker%d", r, w)
			wg.Go(func() {
				for {
					mu.Lock()
					finished := done == total
					mu.Unlock()
					if finished || ctx.Err() != nil {
						return
					}
					j, ok, err := s.ClaimJob(ctx, owner, time.Minute)
					if err != nil {
						t.Errorf("ClaimJob: %v", err)
						return
					}
					if !ok {
						time.Sleep(time.Millisecond)
						continue
					}
					mu.Lock()
					runs[j.ID]++
					if j.Mutex != "" {
						running[j.Mutex]++
						if running[j.Mutex] > 1 {
							t.Errorf("job %d of %s started while another job of its mutex ran", j.ID, j.Mutex)
						}
					}
					order[j.Mutex] = append(order[j.Mutex], j.PR)
					mu.Unlock()
					time.Sleep(time.Millisecond)
					mu.Lock()
					if j.Mutex != "" {
						running[j.Mutex]--
					}
					mu.Unlock()
					if err := s.FinishJob(ctx, j.ID, owner, store.Outcome{State: store.Succeeded}); err != nil {
						t.Errorf("FinishJob: %v", err)
						return
					}
					mu.Lock()
					done++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(runs) != total {
		t.Errorf("%d jobs ran, want %d", len(runs), total)
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("job %d ran %d times", id, n)
		}
	}
	for _, m := range mutexes[:2] {
		for i, pr := range order[m] {
			if pr != i {
				t.Errorf("the jobs of %s ran in the order %v, want queue order", m, order[m])
				break
			}
		}
	}
}

// Two replicas sharing one database have no write gate in common: only the database can keep
// a merge's closed pull request (on one) and its push (on the other) from both queueing the apply.
func TestTwoReplicasQueueAUniqueJobOnce(t *testing.T) {
	t.Parallel()
	replicas := openReplicas(t, 2)
	const perReplica = 8
	nj := store.NewJob{Kind: "apply", Repo: "acme/infra", SHA: "0123456", Key: "apply:acme/infra@0123456:production", Unique: true}
	var mu sync.Mutex
	created := 0
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range replicas {
		for range perReplica {
			wg.Go(func() {
				<-start
				_, err := s.EnqueueJob(t.Context(), nj)
				if err != nil && !errors.Is(err, store.ErrDuplicate) {
					t.Errorf("EnqueueJob: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					created++
				}
			})
		}
	}
	close(start)
	wg.Wait()
	jobs, err := replicas[0].ListJobs(t.Context(), store.JobFilter{Key: nj.Key})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || created != 1 {
		t.Errorf("%d jobs queued and %d callers told they queued it, want 1 and 1", len(jobs), created)
	}
}

// A replica that died mid-job: both survivors expire its lease at once, and the job is queued
// again once, not twice.
func TestReplicasExpiringOneLeaseAtOnceRequeueItOnce(t *testing.T) {
	t.Parallel()
	replicas := openReplicas(t, 3)
	ctx := t.Context()
	dead := replicas[0]
	nj := store.NewJob{Kind: "apply", Repo: "a/r", Mutex: "apply:a/r:production", MaxAttempts: 3}
	if _, err := dead.EnqueueJob(ctx, nj); err != nil {
		t.Fatal(err)
	}
	j, ok, err := dead.ClaimJob(ctx, "dead", time.Minute)
	if err != nil || !ok {
		t.Fatalf("ClaimJob = %v, %v", ok, err)
	}
	var wg sync.WaitGroup
	expired := make([][]store.Job, 2)
	for i, s := range replicas[1:] {
		wg.Go(func() {
			var err error
			expired[i], err = s.ExpireLeases(context.Background(), time.Now().Add(2*time.Minute))
			if err != nil {
				t.Errorf("ExpireLeases: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(expired[0]) + len(expired[1]); n != 1 {
		t.Fatalf("the two replicas expired %d leases between them, want 1: %+v", n, expired)
	}
	got, err := replicas[1].GetJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.Queued || got.Attempts != 1 {
		t.Errorf("job after its lease expired: %s with %d attempts, want queued with 1", got.State, got.Attempts)
	}
	if err := dead.FinishJob(ctx, j.ID, "dead", store.Outcome{State: store.Succeeded}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishJob by the dead owner = %v, want ErrLeaseLost", err)
	}
}
