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

var runnerCases = []contractCase{
	{"a dispatched job reads back by its ref with its job", dispatchReadsBack},
	{"a job is dispatched once, and only a known job", dispatchOnce},
	{"refs are unguessable and distinct", dispatchRefsDistinct},
	{"an unknown ref is not found", runnerRefUnknown},
	{"concurrent claims of a ref: exactly one succeeds", runnerClaimConcurrently},
	{"a job that ended is not claimed", runnerClaimEnded},
	{"heartbeats need the claim's token hash and a live job", runnerHeartbeat},
}

// mustDispatch queues a plan job and dispatches it into environment.
func mustDispatch(t *testing.T, s store.Store, key, environment string) (store.Job, string) {
	t.Helper()
	j := mustEnqueue(t, s, newJob("plan", "a/r", 1, key))[0]
	ref, err := s.DispatchJob(t.Context(), j.ID, environment)
	if err != nil {
		t.Fatalf("DispatchJob(%d): %v", j.ID, err)
	}
	return j, ref
}

func dispatchReadsBack(t *testing.T, s store.Store) {
	before := time.Now()
	j, ref := mustDispatch(t, s, "", "gantry-plan")
	after := time.Now()
	if err := s.SetRunID(t.Context(), ref, 987654321); err != nil {
		t.Fatalf("SetRunID: %v", err)
	}
	rj, got, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatalf("RunnerJobByRef: %v", err)
	}
	checkClock(t, "DispatchedAt", rj.DispatchedAt, before, after)
	want := store.RunnerJob{JobID: j.ID, Ref: ref, Environment: "gantry-plan", RunID: 987654321, DispatchedAt: rj.DispatchedAt}
	if diff := cmp.Diff(want, rj); diff != "" {
		t.Errorf("RunnerJobByRef runner side (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(j, got); diff != "" {
		t.Errorf("RunnerJobByRef job (-want +got):\n%s", diff)
	}

	before = time.Now()
	if err := s.ClaimRunnerJob(t.Context(), ref, "hash-1"); err != nil {
		t.Fatalf("ClaimRunnerJob: %v", err)
	}
	after = time.Now()
	rj, _, err = s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatalf("RunnerJobByRef after the claim: %v", err)
	}
	checkClock(t, "ClaimedAt", rj.ClaimedAt, before, after)
	checkClock(t, "HeartbeatAt", rj.HeartbeatAt, before, after)
	if rj.TokenHash != "hash-1" {
		t.Errorf("TokenHash after the claim = %q, want %q", rj.TokenHash, "hash-1")
	}
}

func dispatchOnce(t *testing.T, s store.Store) {
	j, _ := mustDispatch(t, s, "", "production")
	if _, err := s.DispatchJob(t.Context(), j.ID, "production"); !errors.Is(err, store.ErrAlreadyDispatched) {
		t.Errorf("second DispatchJob(%d) = %v, want ErrAlreadyDispatched", j.ID, err)
	}
	if _, err := s.DispatchJob(t.Context(), j.ID+1000, "production"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DispatchJob of an unknown job = %v, want ErrNotFound", err)
	}
	if err := s.SetRunID(t.Context(), "no-such-ref", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetRunID of an unknown ref = %v, want ErrNotFound", err)
	}
}

func dispatchRefsDistinct(t *testing.T, s store.Store) {
	seen := map[string]bool{}
	for i := range 20 {
		j, ref := mustDispatch(t, s, "", "gantry-plan")
		if len(ref) < 32 {
			t.Errorf("ref %q has %d characters, want at least 32 (128 random bits)", ref, len(ref))
		}
		if ref == fmt.Sprint(j.ID) || seen[ref] {
			t.Errorf("dispatch %d: ref %q is the job id or repeats an earlier ref", i, ref)
		}
		seen[ref] = true
	}
}

func runnerRefUnknown(t *testing.T, s store.Store) {
	mustDispatch(t, s, "", "gantry-plan")
	if _, _, err := s.RunnerJobByRef(t.Context(), "no-such-ref"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RunnerJobByRef(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.ClaimRunnerJob(t.Context(), "no-such-ref", "hash"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClaimRunnerJob(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.RunnerHeartbeat(t.Context(), "no-such-ref", "hash"); err == nil {
		t.Error("RunnerHeartbeat(unknown) succeeded")
	}
}

func runnerClaimConcurrently(t *testing.T, s store.Store) {
	_, ref := mustDispatch(t, s, "", "gantry-plan")
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.ClaimRunnerJob(t.Context(), ref, fmt.Sprintf("hash-%d", i)) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("claims %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrAlreadyClaimed):
			t.Errorf("claim %d = %v, want nil or ErrAlreadyClaimed", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no claim succeeded")
	}
	rj, _, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("hash-%d", winner); rj.TokenHash != want {
		t.Errorf("TokenHash = %q, want the winner's %q", rj.TokenHash, want)
	}
	if err := s.ClaimRunnerJob(t.Context(), ref, "later"); !errors.Is(err, store.ErrAlreadyClaimed) {
		t.Errorf("a later claim = %v, want ErrAlreadyClaimed", err)
	}
}

func runnerClaimEnded(t *testing.T, s store.Store) {
	_, ref := mustDispatch(t, s, "k", "gantry-plan")
	if _, err := s.CancelJobs(t.Context(), "k", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimRunnerJob(t.Context(), ref, "hash"); !errors.Is(err, store.ErrJobEnded) {
		t.Errorf("ClaimRunnerJob of a canceled job = %v, want ErrJobEnded", err)
	}
}

func runnerHeartbeat(t *testing.T, s store.Store) {
	_, ref := mustDispatch(t, s, "k", "gantry-plan")
	_, other := mustDispatch(t, s, "", "gantry-plan")
	if err := s.RunnerHeartbeat(t.Context(), ref, ""); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("heartbeat before the claim = %v, want ErrLeaseLost", err)
	}
	if err := s.ClaimRunnerJob(t.Context(), ref, "hash-a"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimRunnerJob(t.Context(), other, "hash-b"); err != nil {
		t.Fatal(err)
	}
	if err := s.RunnerHeartbeat(t.Context(), ref, "hash-b"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("heartbeat with another claim's hash = %v, want ErrLeaseLost", err)
	}
	claimed, _, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if err := s.RunnerHeartbeat(t.Context(), ref, "hash-a"); err != nil {
		t.Fatalf("heartbeat with the claim's hash: %v", err)
	}
	beat, _, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if !beat.HeartbeatAt.After(claimed.HeartbeatAt) {
		t.Errorf("HeartbeatAt = %v after a heartbeat, want after %v", beat.HeartbeatAt, claimed.HeartbeatAt)
	}
	if _, err := s.CancelJobs(t.Context(), "k", 0); err != nil {
		t.Fatal(err)
	}
	// A queued job is canceled at once; heartbeats of its runner are refused from then on.
	if err := s.RunnerHeartbeat(t.Context(), ref, "hash-a"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("heartbeat after the job ended = %v, want ErrLeaseLost", err)
	}
}
