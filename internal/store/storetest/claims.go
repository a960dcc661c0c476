package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

var claimCases = []contractCase{
	{"claims take the oldest queued job first and mark it running", claimOldestFirst},
	{"concurrent claims take each job exactly once", claimConcurrently},
	{"renewing a lease extends it", renewExtends},
	{"a lease is lost to anyone but the running owner", renewLost},
	{"finishing with success keeps the result", finishCase(store.Outcome{State: store.Succeeded, Result: binary(`{"comment_id":1}`)})},
	{"finishing with failure keeps the error", finishCase(store.Outcome{State: store.Failed, Error: "terraform init: exit status 1"})},
	{"finishing with cancellation is final", finishCase(store.Outcome{State: store.Canceled, Error: "superseded by a newer push"})},
	{"only the running owner finishes a job, once", finishOnlyOwnerOnce},
	{"a state that is not final is refused", finishNotFinal},
	{"jobs sharing a mutex run one at a time, in queue order", claimMutex},
	{"concurrent claims never run two jobs of one mutex at once", claimMutexConcurrently},
}

func claimMutex(t *testing.T, s store.Store) {
	apply := func(pr int) store.NewJob {
		j := newJob("apply", "a/r", pr, "")
		j.Mutex = "apply:a/r:production"
		return j
	}
	first := mustEnqueue(t, s, apply(1))[0]
	second := mustEnqueue(t, s, apply(2))[0]
	other := mustEnqueue(t, s, newJob("plan", "a/r", 3, ""))[0]

	if j := mustClaim(t, s, "w1", time.Minute); j.ID != first.ID {
		t.Fatalf("first claim took job %d, want the first apply %d", j.ID, first.ID)
	}
	// The second apply waits for the first; the unrelated job goes ahead of it.
	if j := mustClaim(t, s, "w2", time.Minute); j.ID != other.ID {
		t.Fatalf("second claim took job %d, want the unrelated job %d", j.ID, other.ID)
	}
	if j, ok, err := s.ClaimJob(t.Context(), "w3", time.Minute); err != nil || ok {
		t.Fatalf("ClaimJob while the mutex is held = job %d ok %v err %v, want nothing", j.ID, ok, err)
	}
	if err := s.FinishJob(t.Context(), first.ID, "w1", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if j := mustClaim(t, s, "w3", time.Minute); j.ID != second.ID {
		t.Errorf("after the first apply finished, claim took job %d, want the second apply %d", j.ID, second.ID)
	}
}

func claimMutexConcurrently(t *testing.T, s store.Store) {
	const n = 12
	for i := range n {
		j := newJob("apply", "a/r", i+1, "")
		j.Mutex = "apply:a/r:production"
		mustEnqueue(t, s, j)
	}
	var (
		mu      sync.Mutex
		running int
		order   []int
		wg      sync.WaitGroup
		errs    = make(chan error, 8*n)
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("w%d", w)
			for {
				j, ok, err := s.ClaimJob(t.Context(), owner, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					mu.Lock()
					done := len(order) == n
					mu.Unlock()
					if done {
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				mu.Lock()
				running++
				if running > 1 {
					errs <- fmt.Errorf("job %d started while another job of its mutex ran", j.ID)
				}
				order = append(order, j.PR)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
				if err := s.FinishJob(t.Context(), j.ID, owner, store.Outcome{State: store.Succeeded}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, pr := range order {
		if pr != i+1 {
			t.Fatalf("jobs ran in the order %v, want queue order", order)
		}
	}
}

// finishCase finishes a running job with out and checks that the job records it.
func finishCase(out store.Outcome) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) {
		mustEnqueue(t, s, newJob("plan", "a/r", 1, ""))
		j := mustClaim(t, s, "w", time.Minute)
		from := time.Now()
		if err := s.FinishJob(t.Context(), j.ID, "w", out); err != nil {
			t.Fatalf("FinishJob: %v", err)
		}
		to := time.Now()
		got := mustGetJob(t, s, j.ID)
		if diff := cmp.Diff(out, store.Outcome{State: got.State, Error: got.Error, Result: got.Result}, cmpOpts); diff != "" {
			t.Errorf("outcome (-finished +read):\n%s", diff)
		}
		checkClock(t, "FinishedAt", got.FinishedAt, from, to)
		if got.Attempts != 1 || got.Owner != "w" {
			t.Errorf("finished job shows %d attempts by %q, want 1 by w", got.Attempts, got.Owner)
		}
	}
}

func claimOldestFirst(t *testing.T, s store.Store) {
	ctx := t.Context()
	queued := mustEnqueue(t, s, newJob("plan", "a/r", 1, ""), newJob("plan", "a/r", 2, ""), newJob("plan", "a/r", 3, ""))
	const lease = 5 * time.Minute
	from := time.Now()
	first := mustClaim(t, s, "replica-1/worker-0", lease)
	to := time.Now()
	if first.ID != queued[0].ID || first.State != store.Running || first.Attempts != 1 || first.Owner != "replica-1/worker-0" {
		t.Errorf("first claim = job %d %s, %d attempts, owner %q; want job %d running, 1, replica-1/worker-0",
			first.ID, first.State, first.Attempts, first.Owner, queued[0].ID)
	}
	checkClock(t, "StartedAt", first.StartedAt, from, to)
	checkClock(t, "LeaseUntil", first.LeaseUntil, from.Add(lease), to.Add(lease))
	if diff := cmp.Diff(first, mustGetJob(t, s, first.ID), cmpOpts); diff != "" {
		t.Errorf("GetJob after the claim (-claimed +read):\n%s", diff)
	}
	for _, want := range queued[1:] {
		if got := mustClaim(t, s, "replica-1/worker-1", lease); got.ID != want.ID {
			t.Errorf("claimed job %d, want %d (oldest first)", got.ID, want.ID)
		}
	}
	if j, ok, err := s.ClaimJob(ctx, "replica-1/worker-1", lease); ok || err != nil {
		t.Errorf("ClaimJob with nothing queued = job %d, %v, %v; want ok=false, no error", j.ID, ok, err)
	}
}

func claimConcurrently(t *testing.T, s store.Store) {
	ctx := t.Context()
	const jobs, workers = 40, 8
	for i := range jobs {
		mustEnqueue(t, s, newJob("plan", "a/r", i+1, ""))
	}
	var mu sync.Mutex
	claimedBy := map[int64][]string{}
	var wg sync.WaitGroup
	for w := range workers {
		owner := fmt.Sprintf("worker-%d", w)
		wg.Go(func() {
			for {
				j, ok, err := s.ClaimJob(ctx, owner, time.Minute)
				if err != nil {
					t.Errorf("ClaimJob(%s): %v", owner, err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				claimedBy[j.ID] = append(claimedBy[j.ID], owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimedBy) != jobs {
		t.Errorf("%d distinct jobs were claimed, want all %d", len(claimedBy), jobs)
	}
	for id, owners := range claimedBy {
		if len(owners) != 1 {
			t.Errorf("job %d was claimed by %v, want exactly one worker", id, owners)
			continue
		}
		if got := mustGetJob(t, s, id); got.Owner != owners[0] || got.Attempts != 1 {
			t.Errorf("job %d is owned by %q after %d attempts, want %q after 1", id, got.Owner, got.Attempts, owners[0])
		}
	}
}

func renewExtends(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustEnqueue(t, s, newJob("plan", "a/r", 1, "k"))
	j := mustClaim(t, s, "w", time.Minute)
	from := time.Now()
	cancel, err := s.RenewLease(ctx, j.ID, "w", time.Hour)
	to := time.Now()
	if err != nil || cancel {
		t.Fatalf("RenewLease = %v, %v; want no cancellation, no error", cancel, err)
	}
	checkClock(t, "LeaseUntil", mustGetJob(t, s, j.ID).LeaseUntil, from.Add(time.Hour), to.Add(time.Hour))
}

func renewLost(t *testing.T, s store.Store) {
	ctx := t.Context()
	queued := mustEnqueue(t, s, newJob("plan", "a/r", 1, ""), newJob("plan", "a/r", 2, ""), newJob("plan", "a/r", 3, ""))
	running := mustClaim(t, s, "w", time.Minute)
	finished := mustClaim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, finished.ID, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		id    int64
		owner string
	}{
		{"another owner cannot renew a running job", running.ID, "someone-else"},
		{"a finished job cannot be renewed", finished.ID, "w"},
		{"a queued job cannot be renewed", queued[2].ID, "w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.RenewLease(ctx, tt.id, tt.owner, time.Hour); !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("RenewLease: err %v, want ErrLeaseLost", err)
			}
		})
	}
	if got := mustGetJob(t, s, running.ID); !got.LeaseUntil.Equal(running.LeaseUntil) {
		t.Errorf("a refused renewal moved the lease from %v to %v", running.LeaseUntil, got.LeaseUntil)
	}
}

func finishOnlyOwnerOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustEnqueue(t, s, newJob("plan", "a/r", 1, ""))
	j := mustClaim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, j.ID, "intruder", store.Outcome{State: store.Failed}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishJob by another owner: err %v, want ErrLeaseLost", err)
	}
	if got := mustGetJob(t, s, j.ID); got.State != store.Running {
		t.Errorf("after a refused finish the job is %s, want running", got.State)
	}
	if err := s.FinishJob(ctx, j.ID, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatalf("FinishJob by its owner: %v", err)
	}
	if err := s.FinishJob(ctx, j.ID, "w", store.Outcome{State: store.Failed, Error: "late"}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("second FinishJob: err %v, want ErrLeaseLost", err)
	}
	if got := mustGetJob(t, s, j.ID); got.State != store.Succeeded || got.Error != "" {
		t.Errorf("after a second finish the job is %s %q, want the first outcome, succeeded", got.State, got.Error)
	}
}

func finishNotFinal(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustEnqueue(t, s, newJob("plan", "a/r", 1, ""))
	j := mustClaim(t, s, "w", time.Minute)
	if err := s.FinishJob(ctx, j.ID, "w", store.Outcome{State: store.Queued}); err == nil {
		t.Error("FinishJob(queued) succeeded, want an error")
	}
	if got := mustGetJob(t, s, j.ID); got.State != store.Running {
		t.Errorf("the job is %s, want still running", got.State)
	}
}
