package runner_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/runner"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// executorFixture is an Executor over a real SQLite store and the fake GitHub, through gantry's client.
type executorFixture struct {
	t     *testing.T
	store *sqlite.Store
	gh    *githubfake.Server
	ex    *runner.Executor
}

func newExecutorFixture(t *testing.T) *executorFixture {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	fake := githubfake.New(t)
	fake.AddRepo("acme", "infra", "trunk")
	fake.AddWorkflow("acme/infra", "gantry.yml")
	app, err := gh.NewApp(gh.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	ex := &runner.Executor{Store: s, GitHub: func(id int64) runner.GitHub { return app.Installation(id) },
		Workflow: "gantry.yml", ClaimTimeout: time.Minute, HeartbeatTimeout: time.Minute, Poll: 10 * time.Millisecond}
	return &executorFixture{t: t, store: s, gh: fake, ex: ex}
}

func (f *executorFixture) job() store.Job {
	f.t.Helper()
	j, err := f.store.EnqueueJob(f.t.Context(), store.NewJob{Kind: "plan", InstallationID: 3, Repo: "acme/infra", PR: 4,
		SHA: "0123456789abcdef0123456789abcdef01234567", Spec: []byte(`{}`)})
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

type outcome struct {
	Plan string `json:"plan"`
}

// execute runs Execute in the background and returns where its answer arrives.
func (f *executorFixture) execute(ctx context.Context, j store.Job) (<-chan error, *outcome) {
	out := &outcome{}
	done := make(chan error, 1)
	go func() { done <- f.ex.Execute(ctx, j, "gantry-plan", out) }()
	return done, out
}

// dispatched waits for the job's dispatch and returns its ref.
func (f *executorFixture) dispatched(j store.Job) store.RunnerJob {
	f.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if rj, err := f.store.RunnerJob(f.t.Context(), j.ID); err == nil && rj.RunID != 0 {
			return rj
		}
	}
	f.t.Fatal("the job was never dispatched")
	return store.RunnerJob{}
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Execute did not return")
		return nil
	}
}

func remoteError(t *testing.T, err error) *flow.RemoteError {
	t.Helper()
	var re *flow.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *flow.RemoteError", err)
	}
	return re
}

func TestExecutorDispatchesOnTheDefaultBranchAndReturnsTheRunnersOutcome(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	j := f.job()
	done, out := f.execute(t.Context(), j)
	rj := f.dispatched(j)

	ds := f.gh.Dispatches("acme/infra")
	if len(ds) != 1 || ds[0].Ref != "trunk" || fmt.Sprint(ds[0].Inputs) != fmt.Sprint(map[string]string{"environment": "gantry-plan", "job_id": rj.Ref}) {
		t.Fatalf("dispatches %+v, want one of gantry.yml on trunk with job_id %s and environment gantry-plan", ds, rj.Ref)
	}
	if err := f.store.ClaimRunnerJob(t.Context(), rj.Ref, "hash"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ReportRunnerJob(t.Context(), rj.Ref, "hash", []byte(`{"plan":"3 to add"}`), "Error: no valid credential sources"); err != nil {
		t.Fatal(err)
	}
	f.ex.Wake(j.ID)
	err := wait(t, done)
	if err == nil || err.Error() != "Error: no valid credential sources" {
		t.Errorf("err = %v, want the runner's failure as it reported it", err)
	}
	if out.Plan != "3 to add" {
		t.Errorf("outcome %+v, want what the runner posted", out)
	}
}

func TestExecutorGivesUpOnADispatchNobodyClaims(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	f.ex.ClaimTimeout = 50 * time.Millisecond
	j := f.job()
	done, _ := f.execute(t.Context(), j)
	re := remoteError(t, wait(t, done))
	rj, _ := f.store.RunnerJob(t.Context(), j.ID)
	link := fmt.Sprintf("https://github.com/acme/infra/actions/runs/%d", rj.RunID)
	if re.Started || !strings.Contains(re.Reason, "GANTRY_ACTIONS_CLAIM_TIMEOUT") || !strings.Contains(re.Reason, link) {
		t.Errorf("RemoteError{Started: %v, %q}: want not started, naming GANTRY_ACTIONS_CLAIM_TIMEOUT and the run %s", re.Started, re.Reason, link)
	}
}

func TestExecutorGivesUpOnASilentRunner(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	f.ex.HeartbeatTimeout = 100 * time.Millisecond
	j := f.job()
	done, _ := f.execute(t.Context(), j)
	rj := f.dispatched(j)
	if err := f.store.ClaimRunnerJob(t.Context(), rj.Ref, "hash"); err != nil {
		t.Fatal(err)
	}
	re := remoteError(t, wait(t, done))
	if !re.Started || !strings.Contains(re.Reason, "stopped sending heartbeats") {
		t.Errorf("RemoteError{Started: %v, %q}: want started, saying the runner went silent", re.Started, re.Reason)
	}
}

func TestExecutorEndsWhenTheRunEndsFirst(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	j := f.job()
	done, _ := f.execute(t.Context(), j)
	rj := f.dispatched(j)
	url := fmt.Sprintf("https://github.com/acme/infra/actions/runs/%d", rj.RunID)
	if _, err := f.store.EndRunnerRun(t.Context(), rj.RunID, "cancelled", url); err != nil {
		t.Fatal(err)
	}
	f.ex.Wake(j.ID)
	re := remoteError(t, wait(t, done))
	if re.Started || !strings.Contains(re.Reason, "conclusion: cancelled") || !strings.Contains(re.Reason, url) {
		t.Errorf("RemoteError{Started: %v, %q}: want not started (never claimed), with the conclusion and %s", re.Started, re.Reason, url)
	}
}

func TestExecutorSaysWhatToAddWhenTheWorkflowIsMissing(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	f.ex.Workflow = "missing.yml"
	done, _ := f.execute(t.Context(), f.job())
	re := remoteError(t, wait(t, done))
	if re.Started || !strings.Contains(re.Reason, "missing.yml") || !strings.Contains(re.Reason, "could not start the workflow") {
		t.Errorf("RemoteError{Started: %v, %q}: want not started, naming the workflow file", re.Started, re.Reason)
	}
}

func TestExecutorTakesUpAJobDispatchedBeforeARestart(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	j := f.job()
	ctx, cancel := context.WithCancel(t.Context())
	done, _ := f.execute(ctx, j)
	rj := f.dispatched(j)
	cancel() // the server stops while the runner works
	if err := wait(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The job runs again (its lease expired): the wait resumes without a second dispatch.
	done, out := f.execute(t.Context(), j)
	if err := f.store.ClaimRunnerJob(t.Context(), rj.Ref, "hash"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ReportRunnerJob(t.Context(), rj.Ref, "hash", []byte(`{"plan":"ok"}`), ""); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil || out.Plan != "ok" {
		t.Errorf("err %v, outcome %+v: want the runner's outcome", err, out)
	}
	if n := len(f.gh.Dispatches("acme/infra")); n != 1 {
		t.Errorf("%d dispatches, want 1", n)
	}
}

func TestExecutorRefusesAnOutcomeItCannotRead(t *testing.T) {
	t.Parallel()
	f := newExecutorFixture(t)
	j := f.job()
	done, _ := f.execute(t.Context(), j)
	rj := f.dispatched(j)
	if err := f.store.ClaimRunnerJob(t.Context(), rj.Ref, "hash"); err != nil {
		t.Fatal(err)
	}
	// A runner (the pull request's code ran there) posts an outcome of the wrong shape.
	if err := f.store.ReportRunnerJob(t.Context(), rj.Ref, "hash", []byte(`{"plan":["not","text"]}`), ""); err != nil {
		t.Fatal(err)
	}
	f.ex.Wake(j.ID)
	re := remoteError(t, wait(t, done))
	if !re.Started || !strings.Contains(re.Reason, "cannot be read") {
		t.Errorf("RemoteError{Started: %v, %q}: want started, saying the result cannot be read", re.Started, re.Reason)
	}
}
