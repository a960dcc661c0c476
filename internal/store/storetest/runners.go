package storetest

import (
	"bytes"
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
	{"a dispatched job reads back by its job id", runnerJobByJobID},
	{"a result is recorded once and reads back", runnerReportOnce},
	{"concurrent reports of a job: exactly one succeeds", runnerReportConcurrently},
	{"a report needs the claim's token hash", runnerReportNeedsTheClaim},
	{"a job that ended takes no report", runnerReportAfterTheJobEnded},
	{"results round-trip exactly, up to megabytes", runnerResultRoundTrips},
	{"the log keeps its first bytes up to the cap", runnerLogKeepsItsBeginning},
	{"log appends need the claim's token hash and a live job", runnerLogNeedsTheClaim},
	{"a log append counts as a heartbeat", runnerLogIsAHeartbeat},
	{"the end of a workflow run is recorded once, by run id", runnerRunEnds},
}

// mustDispatchClaimed dispatches a plan job with key and claims it with tokenHash.
func mustDispatchClaimed(t *testing.T, s store.Store, key, tokenHash string) (store.Job, string) {
	t.Helper()
	j, ref := mustDispatch(t, s, key, "gantry-plan")
	if err := s.ClaimRunnerJob(t.Context(), ref, tokenHash); err != nil {
		t.Fatalf("ClaimRunnerJob(%s): %v", ref, err)
	}
	return j, ref
}

// mustRunnerJob reads the runner side of job id.
func mustRunnerJob(t *testing.T, s store.Store, id int64) store.RunnerJob {
	t.Helper()
	rj, err := s.RunnerJob(t.Context(), id)
	if err != nil {
		t.Fatalf("RunnerJob(%d): %v", id, err)
	}
	return rj
}

// checkUnreported fails t when job id has a result.
func checkUnreported(t *testing.T, s store.Store, id int64) {
	t.Helper()
	if rj := mustRunnerJob(t, s, id); !rj.ReportedAt.IsZero() || rj.Result != nil || rj.ResultError != "" {
		t.Errorf("a refused report was recorded: ReportedAt %v, Result %q, ResultError %q", rj.ReportedAt, rj.Result, rj.ResultError)
	}
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

func runnerJobByJobID(t *testing.T, s store.Store) {
	j, ref := mustDispatchClaimed(t, s, "", "hash-a")
	undispatched := mustEnqueue(t, s, newJob("plan", "a/r", 1, ""))[0]
	byRef, _, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	rj := mustRunnerJob(t, s, j.ID)
	if diff := cmp.Diff(byRef, rj, cmpOpts); diff != "" {
		t.Errorf("RunnerJob(%d) differs from RunnerJobByRef (-by ref +by id):\n%s", j.ID, diff)
	}
	if rj.Ref != ref || rj.JobID != j.ID {
		t.Errorf("RunnerJob(%d) = ref %q of job %d, want ref %q", j.ID, rj.Ref, rj.JobID, ref)
	}
	for _, id := range []int64{undispatched.ID, j.ID + 1000} {
		if _, err := s.RunnerJob(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RunnerJob(%d) of a job never dispatched = %v, want ErrNotFound", id, err)
		}
		if _, _, err := s.RunnerLog(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RunnerLog(%d) of a job never dispatched = %v, want ErrNotFound", id, err)
		}
	}
}

func runnerReportOnce(t *testing.T, s store.Store) {
	j, ref := mustDispatchClaimed(t, s, "", "hash-a")
	if err := s.SetRunID(t.Context(), ref, 5150); err != nil {
		t.Fatal(err)
	}
	claimed := mustRunnerJob(t, s, j.ID)
	if !claimed.ReportedAt.IsZero() || claimed.Result != nil {
		t.Errorf("before the report: ReportedAt %v, Result %q; want zero and nil", claimed.ReportedAt, claimed.Result)
	}
	before := time.Now()
	if err := s.ReportRunnerJob(t.Context(), ref, "hash-a", []byte(`{"plan":"first"}`), "terraform init failed"); err != nil {
		t.Fatalf("ReportRunnerJob: %v", err)
	}
	after := time.Now()
	rj := mustRunnerJob(t, s, j.ID)
	checkClock(t, "ReportedAt", rj.ReportedAt, before, after)
	want := claimed
	want.ReportedAt = rj.ReportedAt
	want.Result = []byte(`{"plan":"first"}`)
	want.ResultError = "terraform init failed"
	if diff := cmp.Diff(want, rj, cmpOpts); diff != "" {
		t.Errorf("runner job after the report (-want +got):\n%s", diff)
	}
	byRef, _, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byRef, cmpOpts); diff != "" {
		t.Errorf("RunnerJobByRef after the report (-want +got):\n%s", diff)
	}

	if err := s.ReportRunnerJob(t.Context(), ref, "hash-a", []byte(`{"plan":"second"}`), ""); !errors.Is(err, store.ErrAlreadyReported) {
		t.Errorf("second report = %v, want ErrAlreadyReported", err)
	}
	if diff := cmp.Diff(want, mustRunnerJob(t, s, j.ID), cmpOpts); diff != "" {
		t.Errorf("a second report changed the first (-want +got):\n%s", diff)
	}
}

func runnerReportConcurrently(t *testing.T, s store.Store) {
	j, ref := mustDispatchClaimed(t, s, "", "hash-a")
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.ReportRunnerJob(t.Context(), ref, "hash-a", fmt.Appendf(nil, `{"report":%d}`, i), "")
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("reports %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrAlreadyReported):
			t.Errorf("report %d = %v, want nil or ErrAlreadyReported", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no report succeeded")
	}
	if got, want := string(mustRunnerJob(t, s, j.ID).Result), fmt.Sprintf(`{"report":%d}`, winner); got != want {
		t.Errorf("stored result = %s, want the winner's %s", got, want)
	}
}

func runnerReportNeedsTheClaim(t *testing.T, s store.Store) {
	unclaimed, unclaimedRef := mustDispatch(t, s, "", "gantry-plan")
	for _, hash := range []string{"", "hash-a"} {
		if err := s.ReportRunnerJob(t.Context(), unclaimedRef, hash, []byte(`{}`), ""); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("report before the claim with hash %q = %v, want ErrLeaseLost", hash, err)
		}
	}
	checkUnreported(t, s, unclaimed.ID)

	victim, victimRef := mustDispatchClaimed(t, s, "", "hash-victim")
	mustDispatchClaimed(t, s, "", "hash-mallory")
	for _, hash := range []string{"hash-mallory", ""} {
		if err := s.ReportRunnerJob(t.Context(), victimRef, hash, []byte(`{"forged":true}`), ""); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("report with hash %q, not the claim's = %v, want ErrLeaseLost", hash, err)
		}
	}
	checkUnreported(t, s, victim.ID)
	if err := s.ReportRunnerJob(t.Context(), "no-such-ref", "hash-victim", []byte(`{}`), ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("report of an unknown ref = %v, want ErrNotFound", err)
	}
	// Once reported, another token still learns nothing but that its lease is lost.
	if err := s.ReportRunnerJob(t.Context(), victimRef, "hash-victim", []byte(`{}`), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.ReportRunnerJob(t.Context(), victimRef, "hash-mallory", []byte(`{}`), ""); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("report with another hash after the result = %v, want ErrLeaseLost", err)
	}
}

func runnerReportAfterTheJobEnded(t *testing.T, s store.Store) {
	j, ref := mustDispatchClaimed(t, s, "", "hash-a")
	// The server's worker runs the job while the runner works on it, and finishes it first.
	if got := mustClaim(t, s, "server", time.Minute); got.ID != j.ID {
		t.Fatalf("ClaimJob took job %d, want %d", got.ID, j.ID)
	}
	if err := s.FinishJob(t.Context(), j.ID, "server", store.Outcome{State: store.Failed, Error: "the run ended"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReportRunnerJob(t.Context(), ref, "hash-a", []byte(`{}`), ""); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("report after the job ended = %v, want ErrLeaseLost", err)
	}
	checkUnreported(t, s, j.ID)

	canceled, canceledRef := mustDispatchClaimed(t, s, "k", "hash-b")
	if _, err := s.CancelJobs(t.Context(), "k", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.ReportRunnerJob(t.Context(), canceledRef, "hash-b", []byte(`{}`), ""); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("report after the job was canceled = %v, want ErrLeaseLost", err)
	}
	checkUnreported(t, s, canceled.ID)
}

func runnerResultRoundTrips(t *testing.T, s store.Store) {
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>11)
	}
	for _, tc := range []struct {
		name   string
		result []byte
		errMsg string
	}{
		{"every byte value", binary(`{"plan":"`), "fehler: ünicode\x00 and a NUL"},
		{"a 3 MiB result", big, ""},
		{"an empty result", nil, "the runner could not start terraform"},
	} {
		j, ref := mustDispatchClaimed(t, s, "", "hash-"+tc.name)
		if err := s.ReportRunnerJob(t.Context(), ref, "hash-"+tc.name, tc.result, tc.errMsg); err != nil {
			t.Fatalf("%s: ReportRunnerJob: %v", tc.name, err)
		}
		rj := mustRunnerJob(t, s, j.ID)
		if !bytes.Equal(rj.Result, tc.result) {
			t.Errorf("%s: stored result has %d bytes and differs from the %d reported", tc.name, len(rj.Result), len(tc.result))
		}
		if rj.ResultError != tc.errMsg {
			t.Errorf("%s: ResultError = %q, want %q", tc.name, rj.ResultError, tc.errMsg)
		}
		if rj.ReportedAt.IsZero() {
			t.Errorf("%s: ReportedAt is zero after the report", tc.name)
		}
	}
}

func runnerLogKeepsItsBeginning(t *testing.T, s store.Store) {
	j, ref := mustDispatchClaimed(t, s, "", "hash-a")
	checkLog := func(when, want string, wantTruncated bool) {
		t.Helper()
		log, truncated, err := s.RunnerLog(t.Context(), j.ID)
		if err != nil {
			t.Fatalf("RunnerLog %s: %v", when, err)
		}
		if string(log) != want || truncated != wantTruncated {
			t.Errorf("log %s = %q truncated %v, want %q truncated %v", when, log, truncated, want, wantTruncated)
		}
		if rj := mustRunnerJob(t, s, j.ID); rj.LogTruncated != wantTruncated {
			t.Errorf("LogTruncated %s = %v, want %v", when, rj.LogTruncated, wantTruncated)
		}
	}
	checkLog("before any append", "", false)
	const limit = 16
	for _, chunk := range []string{"Error: \x00\xff", "init failed"} {
		if err := s.AppendRunnerLog(t.Context(), ref, "hash-a", []byte(chunk), limit); err != nil {
			t.Fatalf("AppendRunnerLog(%q): %v", chunk, err)
		}
	}
	checkLog("at the cap", "Error: \x00\xffinit fa", true)
	if err := s.AppendRunnerLog(t.Context(), ref, "hash-a", []byte("later lines"), limit); err != nil {
		t.Fatalf("AppendRunnerLog after the cap: %v", err)
	}
	checkLog("after more was sent", "Error: \x00\xffinit fa", true)

	// Exactly filling the cap drops nothing.
	j, ref = mustDispatchClaimed(t, s, "", "hash-b")
	for _, chunk := range []string{"0123456789", "abcdef", ""} {
		if err := s.AppendRunnerLog(t.Context(), ref, "hash-b", []byte(chunk), limit); err != nil {
			t.Fatalf("AppendRunnerLog(%q): %v", chunk, err)
		}
	}
	checkLog("filled to the cap", "0123456789abcdef", false)
}

func runnerLogNeedsTheClaim(t *testing.T, s store.Store) {
	unclaimed, unclaimedRef := mustDispatch(t, s, "", "gantry-plan")
	j, ref := mustDispatchClaimed(t, s, "k", "hash-a")
	mustDispatchClaimed(t, s, "", "hash-b")
	if err := s.AppendRunnerLog(t.Context(), unclaimedRef, "", []byte("forged"), 100); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("append before the claim = %v, want ErrLeaseLost", err)
	}
	if err := s.AppendRunnerLog(t.Context(), ref, "hash-b", []byte("forged"), 100); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("append with another claim's hash = %v, want ErrLeaseLost", err)
	}
	if err := s.AppendRunnerLog(t.Context(), ref, "hash-a", []byte("honest"), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelJobs(t.Context(), "k", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendRunnerLog(t.Context(), ref, "hash-a", []byte(" late"), 100); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("append after the job ended = %v, want ErrLeaseLost", err)
	}
	for id, want := range map[int64]string{unclaimed.ID: "", j.ID: "honest"} {
		if log, _, err := s.RunnerLog(t.Context(), id); err != nil || string(log) != want {
			t.Errorf("log of job %d = %q, %v; want %q", id, log, err, want)
		}
	}
}

func runnerLogIsAHeartbeat(t *testing.T, s store.Store) {
	j, ref := mustDispatchClaimed(t, s, "", "hash-a")
	claimed := mustRunnerJob(t, s, j.ID)
	time.Sleep(2 * time.Millisecond)
	before := time.Now()
	if err := s.AppendRunnerLog(t.Context(), ref, "hash-a", []byte("Planning…\n"), 100); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	rj := mustRunnerJob(t, s, j.ID)
	checkClock(t, "HeartbeatAt", rj.HeartbeatAt, before, after)
	if !rj.HeartbeatAt.After(claimed.HeartbeatAt) {
		t.Errorf("HeartbeatAt = %v after a log append, want after the claim's %v", rj.HeartbeatAt, claimed.HeartbeatAt)
	}
}

func runnerRunEnds(t *testing.T, s store.Store) {
	j, ref := mustDispatch(t, s, "", "production")
	other, otherRef := mustDispatch(t, s, "", "production")
	mustDispatch(t, s, "", "production") // no run id known yet: run id 0 must not find it
	if err := s.SetRunID(t.Context(), ref, 7001); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRunID(t.Context(), otherRef, 7002); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	got, err := s.EndRunnerRun(t.Context(), 7001, "cancelled", "https://github.com/a/r/actions/runs/7001")
	after := time.Now()
	if err != nil || got != j.ID {
		t.Fatalf("EndRunnerRun(7001) = %d, %v; want job %d", got, err, j.ID)
	}
	rj := mustRunnerJob(t, s, j.ID)
	checkClock(t, "RunEndedAt", rj.RunEndedAt, before, after)
	if rj.RunConclusion != "cancelled" || rj.RunURL != "https://github.com/a/r/actions/runs/7001" {
		t.Errorf("run end = %q %q, want cancelled and the run's URL", rj.RunConclusion, rj.RunURL)
	}
	if o := mustRunnerJob(t, s, other.ID); !o.RunEndedAt.IsZero() || o.RunConclusion != "" || o.RunURL != "" {
		t.Errorf("the end of run 7001 was recorded on job %d of run 7002: %+v", other.ID, o)
	}

	// GitHub sends workflow_job and workflow_run events, and redelivers: the first end stands.
	got, err = s.EndRunnerRun(t.Context(), 7001, "success", "https://example.com/late")
	if err != nil || got != j.ID {
		t.Errorf("second EndRunnerRun(7001) = %d, %v; want job %d", got, err, j.ID)
	}
	if diff := cmp.Diff(rj, mustRunnerJob(t, s, j.ID), cmpOpts); diff != "" {
		t.Errorf("a second end of the run changed the first (-want +got):\n%s", diff)
	}
	for _, run := range []int64{0, 7003} {
		if _, err := s.EndRunnerRun(t.Context(), run, "failure", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EndRunnerRun(%d) = %v, want ErrNotFound", run, err)
		}
	}
}
