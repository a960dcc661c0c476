package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/classla/gantry/internal/store"
)

var cancelCases = []contractCase{
	{"canceling a key stops its queued and running jobs but spares the exception", cancelKey},
	{"an empty key cancels nothing", cancelEmptyKey},
}

var expireCases = []contractCase{
	{"a job with attempts left is queued again", expireCase(2, store.Queued)},
	{"a job allowed one attempt fails", expireCase(1, store.Failed)},
	{"a job with MaxAttempts 0 is allowed one attempt and fails", expireCase(0, store.Failed)},
	{"a requeued job is claimed again and counts its attempts until they run out", expireRetries},
	{"a job whose cancellation was requested is canceled, not retried", expireCanceled},
	{"leases that have not ended are left alone", expireLiveLeases},
}

// expireCase lets the lease of a job allowed maxAttempts run out after its first attempt
// and checks that the job ends up in state want.
func expireCase(maxAttempts int, want store.JobState) func(t *testing.T, s store.Store) {
	return func(t *testing.T, s store.Store) {
		ctx := t.Context()
		nj := newJob("plan", "a/r", 1, "")
		nj.MaxAttempts = maxAttempts
		mustEnqueue(t, s, nj)
		j := mustClaim(t, s, "dead-worker", time.Minute)
		expired, err := s.ExpireLeases(ctx, time.Now().Add(2*time.Minute))
		if err != nil {
			t.Fatalf("ExpireLeases: %v", err)
		}
		if len(expired) != 1 || expired[0].ID != j.ID || expired[0].State != want {
			t.Fatalf("ExpireLeases = %+v; want job %d, %s", expired, j.ID, want)
		}
		if diff := cmp.Diff(expired[0], mustGetJob(t, s, j.ID), cmpOpts); diff != "" {
			t.Errorf("ExpireLeases does not return the job as stored (-returned +read):\n%s", diff)
		}
		if want == store.Failed && !strings.Contains(expired[0].Error, "stopped") {
			t.Errorf("the failed job's error %q does not say that its worker stopped", expired[0].Error)
		}
		if _, err := s.RenewLease(ctx, j.ID, "dead-worker", time.Minute); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("RenewLease by the expired owner: err %v, want ErrLeaseLost", err)
		}
	}
}

func cancelKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	const key = "acme/infra#7/production"
	// done and running are claimed in that order (FIFO), then done finishes.
	early := mustEnqueue(t, s, newJob("plan", "acme/infra", 7, key), newJob("plan", "acme/infra", 7, key))
	done, running := mustClaim(t, s, "w", time.Minute), mustClaim(t, s, "w", time.Minute)
	if done.ID != early[0].ID || running.ID != early[1].ID {
		t.Fatalf("claims took jobs %d and %d, want %d and %d", done.ID, running.ID, early[0].ID, early[1].ID)
	}
	if err := s.FinishJob(ctx, done.ID, "w", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	late := mustEnqueue(t, s, newJob("plan", "acme/infra", 7, key), newJob("plan", "acme/infra", 7, key),
		newJob("plan", "acme/infra", 8, "acme/infra#8/production"))
	queued, newest, other := late[0], late[1], late[2]

	touched, err := s.CancelJobs(ctx, key, newest.ID)
	if err != nil {
		t.Fatalf("CancelJobs: %v", err)
	}
	if diff := cmp.Diff([]int64{running.ID, queued.ID}, touched, cmpopts.SortSlices(func(a, b int64) bool { return a < b })); diff != "" {
		t.Errorf("CancelJobs touched (-want +got):\n%s", diff)
	}
	if got := mustGetJob(t, s, queued.ID); got.State != store.Canceled {
		t.Errorf("the queued job is %s, want canceled", got.State)
	}
	if got := mustGetJob(t, s, done.ID); got.State != store.Succeeded || got.CancelRequested {
		t.Errorf("the finished job is %s (cancel requested %v), want untouched: succeeded", got.State, got.CancelRequested)
	}
	cancel, err := s.RenewLease(ctx, running.ID, "w", time.Minute)
	if err != nil || !cancel {
		t.Errorf("RenewLease of the running job = %v, %v; want cancellation requested", cancel, err)
	}
	if got := mustGetJob(t, s, running.ID); got.State != store.Running || !got.CancelRequested {
		t.Errorf("the running job is %s (cancel requested %v), want running with cancellation requested", got.State, got.CancelRequested)
	}
	// The canceled job must never run: the queue holds only the exception and the other key.
	for _, want := range []int64{newest.ID, other.ID} {
		if got := mustClaim(t, s, "w2", time.Minute); got.ID != want {
			t.Errorf("claimed job %d, want %d", got.ID, want)
		}
	}
	if j, ok, err := s.ClaimJob(ctx, "w2", time.Minute); ok || err != nil {
		t.Errorf("ClaimJob = job %d, %v, %v; want nothing left", j.ID, ok, err)
	}
}

func cancelEmptyKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	j := mustEnqueue(t, s, newJob("deploy", "acme/app", 0, ""))[0]
	touched, err := s.CancelJobs(ctx, "", 0)
	if err != nil || len(touched) != 0 {
		t.Errorf("CancelJobs(\"\") = %v, %v; want nothing touched", touched, err)
	}
	if got := mustGetJob(t, s, j.ID); got.State != store.Queued {
		t.Errorf("the keyless job is %s, want queued", got.State)
	}
}

func expireRetries(t *testing.T, s store.Store) {
	ctx := t.Context()
	nj := newJob("plan", "a/r", 1, "")
	nj.MaxAttempts = 2
	retried := mustEnqueue(t, s, nj)[0]
	mustClaim(t, s, "replica-a", time.Minute)
	later := mustEnqueue(t, s, newJob("plan", "a/r", 2, ""))[0]
	live := mustClaim(t, s, "replica-b", time.Hour)
	if live.ID != later.ID {
		t.Fatalf("claimed %d, want %d", live.ID, later.ID)
	}
	if _, err := s.ExpireLeases(ctx, time.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := mustGetJob(t, s, live.ID); got.State != store.Running || got.Owner != "replica-b" {
		t.Errorf("a job with a live lease became %s owned by %q, want untouched", got.State, got.Owner)
	}
	again := mustClaim(t, s, "replica-b", time.Minute)
	if again.ID != retried.ID || again.Attempts != 2 {
		t.Fatalf("second claim = job %d attempt %d, want job %d attempt 2", again.ID, again.Attempts, retried.ID)
	}
	if err := s.FinishJob(ctx, retried.ID, "replica-a", store.Outcome{State: store.Succeeded}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishJob by the first, expired owner: err %v, want ErrLeaseLost", err)
	}
	expired, err := s.ExpireLeases(ctx, time.Now().Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(expired) != 1 || expired[0].ID != retried.ID || expired[0].State != store.Failed || expired[0].Attempts != 2 {
		t.Errorf("second expiry = %+v; want job %d failed after 2 attempts", expired, retried.ID)
	}
}

func expireCanceled(t *testing.T, s store.Store) {
	ctx := t.Context()
	nj := newJob("plan", "a/r", 1, "k")
	nj.MaxAttempts = 3
	j := mustEnqueue(t, s, nj)[0]
	mustClaim(t, s, "w", time.Minute)
	if _, err := s.CancelJobs(ctx, "k", 0); err != nil {
		t.Fatal(err)
	}
	expired, err := s.ExpireLeases(ctx, time.Now().Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(expired) != 1 || expired[0].State != store.Canceled {
		t.Errorf("ExpireLeases = %+v; want job %d canceled", expired, j.ID)
	}
	if got, ok, err := s.ClaimJob(ctx, "w", time.Minute); ok || err != nil {
		t.Errorf("ClaimJob = job %d, %v, %v; want nothing queued", got.ID, ok, err)
	}
}

func expireLiveLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustEnqueue(t, s, newJob("plan", "a/r", 1, ""))
	j := mustClaim(t, s, "w", time.Hour)
	expired, err := s.ExpireLeases(ctx, time.Now())
	if err != nil || len(expired) != 0 {
		t.Errorf("ExpireLeases(now) = %+v, %v; want nothing", expired, err)
	}
	if diff := cmp.Diff(j, mustGetJob(t, s, j.ID), cmpOpts); diff != "" {
		t.Errorf("the running job changed (-claimed +read):\n%s", diff)
	}
}
