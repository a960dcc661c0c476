package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/runner"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/testing/oidcfake"
)

// clientFixture serves the runner API of an apiFixture over HTTP, beside a route that must never be reached.
type clientFixture struct {
	*apiFixture
	url string

	mu    sync.Mutex
	stray []string // requests that reached anything but the runner API
}

func newClientFixture(t *testing.T, configure ...func(*runner.API)) *clientFixture {
	t.Helper()
	f := &clientFixture{apiFixture: newAPIFixture(t, configure...)}
	mux := http.NewServeMux()
	mux.Handle("/api/runner/v1/jobs/", f.handler)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.stray = append(f.stray, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		http.Error(w, "stray", http.StatusTeapot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *clientFixture) client(ref string) *runner.Client {
	return &runner.Client{Server: f.url, Ref: ref}
}

// claimed dispatches a job into environment and claims it with a client.
func (f *clientFixture) claimed(t *testing.T, environment string) (store.Job, *runner.Client) {
	t.Helper()
	job, ref := f.dispatch(environment)
	c := f.client(ref)
	if _, err := c.Claim(t.Context(), f.issuer.Sign(f.honestClaims(environment))); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return job, c
}

func (f *clientFixture) checkNoStray(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.stray) > 0 {
		t.Errorf("requests reached other routes than the runner API: %q", f.stray)
	}
}

func TestTheRunnerClaimsLogsAndReports(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	job, ref := f.dispatch("gantry-plan")
	c := &runner.Client{Server: f.url + "/", Ref: ref} // a trailing slash in GANTRY_URL is fine
	got, err := c.Claim(t.Context(), f.issuer.Sign(f.honestClaims("gantry-plan")))
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	want := runner.ClaimedJob{ID: job.ID, Kind: "plan", Spec: json.RawMessage(apiSpec), Repo: apiRepo, PR: 7,
		SHA: "0123456789abcdef0123456789abcdef01234567"}
	if diff := cmp.Diff(want, got, cmp.Transformer("json", func(m json.RawMessage) string { return string(m) })); diff != "" {
		t.Errorf("claimed job (-want +got):\n%s", diff)
	}
	if err := c.Heartbeat(t.Context()); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	for _, chunk := range []string{"Initializing...\n", "Plan: 1 to add.\n"} {
		if err := c.Log(t.Context(), []byte(chunk)); err != nil {
			t.Errorf("Log(%q): %v", chunk, err)
		}
	}
	outcome := `{"summary":"Plan: 1 to add, 0 to change, 0 to destroy."}`
	if err := c.Result(t.Context(), runner.Result{Outcome: json.RawMessage(outcome)}); err != nil {
		t.Fatalf("Result: %v", err)
	}
	if log, _ := f.storedLog(job.ID); log != "Initializing...\nPlan: 1 to add.\n" {
		t.Errorf("stored log = %q", log)
	}
	if rj := f.runnerJob(job.ID); string(rj.Result) != outcome || rj.ResultError != "" {
		t.Errorf("stored result = %s, error %q; want %s and none", rj.Result, rj.ResultError, outcome)
	}
	f.checkNoStray(t)
}

func TestARefusedClaimSaysWhatToCheckWithoutTheToken(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	_, ref := f.dispatch("gantry-plan")
	c := f.client(ref)
	forged := f.issuer.Sign(f.honestClaims("gantry-plan"), oidcfake.UnknownKey())
	_, err := c.Claim(t.Context(), forged)
	var apiErr *runner.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("Claim with a forged token = %v, want an *APIError with status 401", err)
	}
	for _, hint := range []string{"refused this runner's identity", "GANTRY_URL", "GANTRY_PUBLIC_URL", "default branch", apiErr.Message} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error %q does not mention %q", err, hint)
		}
	}
	if strings.Contains(err.Error(), forged) {
		t.Errorf("error quotes the OIDC token: %v", err)
	}
	if errors.Is(err, runner.ErrJobEnded) {
		t.Errorf("a refused claim is ErrJobEnded: %v", err)
	}
	if err := c.Heartbeat(t.Context()); err == nil || !strings.Contains(err.Error(), "Claim first") {
		t.Errorf("Heartbeat without a claim = %v, want an error saying to claim first", err)
	}
}

func TestTheRunnerIsToldToStopWhenTheJobEnded(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	_, ref, end := f.dispatchEndable()
	c := f.client(ref)
	if _, err := c.Claim(t.Context(), f.issuer.Sign(f.honestClaims("gantry-plan"))); err != nil {
		t.Fatal(err)
	}
	end()
	for name, call := range map[string]func() error{
		"Heartbeat": func() error { return c.Heartbeat(t.Context()) },
		"Log":       func() error { return c.Log(t.Context(), []byte("still planning\n")) },
		"Result":    func() error { return c.Result(t.Context(), runner.Result{Error: "late"}) },
	} {
		err := call()
		var apiErr *runner.APIError
		if !errors.Is(err, runner.ErrJobEnded) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
			t.Errorf("%s after the job ended = %v, want a 409 that is ErrJobEnded", name, err)
		} else if !strings.Contains(err.Error(), "stop") {
			t.Errorf("%s error %q does not tell the runner to stop", name, err)
		}
	}
}

func TestASecondResultTellsTheRunnerToStop(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	_, c := f.claimed(t, "gantry-plan")
	if err := c.Result(t.Context(), runner.Result{Outcome: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Result(t.Context(), runner.Result{Outcome: json.RawMessage(`{}`)}); !errors.Is(err, runner.ErrJobEnded) {
		t.Errorf("second Result = %v, want ErrJobEnded", err)
	}
}

func TestARefCannotReachAnotherRoute(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	_, victim := f.dispatch("production")
	token := f.issuer.Sign(f.honestClaims("gantry-plan"))
	for _, ref := range []string{
		"../../../../healthz",
		"..",
		".",
		"x/../" + victim,
		victim + "/claim?x=",
		"../" + victim,
		"%2e%2e",
		"",
	} {
		t.Run(fmt.Sprintf("%q", ref), func(t *testing.T) {
			_, err := f.client(ref).Claim(t.Context(), token)
			if err == nil {
				t.Fatalf("Claim with ref %q succeeded", ref)
			}
			var apiErr *runner.APIError
			if errors.As(err, &apiErr) && apiErr.Status != http.StatusNotFound {
				t.Errorf("Claim with ref %q = %v, want no such job", ref, err)
			}
		})
	}
	f.checkNoStray(t)
	checkUnclaimed(t, f.store, victim)
}

func TestAnAnswerQuotingTheTokenDoesNotLeakIt(t *testing.T) {
	t.Parallel()
	// A proxy in front of the server that echoes what it was sent.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/claim") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"job":{"id":1,"kind":"plan","spec":{},"repo":"acme/infra"},"token":"job-token-0123456789abcdef"}`)
			return
		}
		http.Error(w, "bad gateway for "+r.Header.Get("Authorization"), http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	c := &runner.Client{Server: srv.URL, Ref: "0123456789abcdef0123456789abcdef"}
	if _, err := c.Claim(t.Context(), "oidc-token-0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	err := c.Heartbeat(t.Context())
	if err == nil {
		t.Fatal("Heartbeat through a failing proxy succeeded")
	}
	if strings.Contains(err.Error(), "job-token-0123456789abcdef") {
		t.Errorf("error quotes the job token: %v", err)
	}
	if !strings.Contains(err.Error(), "try again later") {
		t.Errorf("error %q does not say to try again", err)
	}
}

func TestTheRunnerDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var leaked []string
	var mu sync.Mutex
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	t.Cleanup(elsewhere.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	_, err := (&runner.Client{Server: srv.URL, Ref: "0123456789abcdef"}).Claim(t.Context(), "oidc-token-0123456789abcdef")
	if err == nil {
		t.Error("Claim answered by a redirect succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("the OIDC token followed a redirect: %q", leaked)
	}
}

// secret is what a job prints by mistake: long enough to be redacted.
const secret = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

func TestASecretWrittenInTwoHalvesNeverReachesTheServer(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	job, c := f.claimed(t, "gantry-plan")
	filter := redact.New()
	filter.Add(secret)
	w := runner.NewLogWriter(t.Context(), c, time.Millisecond, filter)
	half := len(secret) / 2
	if _, err := fmt.Fprintf(w, "Initializing...\nthe token is %s", secret[:half]); err != nil {
		t.Fatal(err)
	}
	// Let the writer send several times while only the first half is written.
	waitForLog(t, f.apiFixture, job.ID, "Initializing...\n")
	time.Sleep(20 * time.Millisecond)
	if _, err := fmt.Fprintf(w, "%s, keep it\nlast line without a newline", secret[half:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	log, _ := f.storedLog(job.ID)
	if want := "Initializing...\nthe token is " + redact.Replacement + ", keep it\nlast line without a newline"; log != want {
		t.Errorf("log on the server = %q, want %q", log, want)
	}
	for _, part := range []string{secret[:half], secret[half:]} {
		if strings.Contains(log, part) {
			t.Errorf("the log on the server holds part %q of the secret: %q", part, log)
		}
	}
	if _, err := w.Write([]byte("after close")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// waitForLog waits until the server's log of job id is want.
func waitForLog(t *testing.T, f *apiFixture, id int64, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		log, _ := f.storedLog(id)
		if log == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's log is %q, want %q", log, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTheLogWriterSendsEverythingInOrderInChunksTheServerTakes(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t, func(a *runner.API) { a.MaxLog = 8 << 20 })
	job, c := f.claimed(t, "gantry-plan")
	w := runner.NewLogWriter(t.Context(), c, time.Hour, nil) // only Close sends
	// A 2.5 MiB line is more than one request may carry.
	long := strings.Repeat("0123456789", 256<<10) + "\n"
	var want strings.Builder
	for i := range 3 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line + long)
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(long)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if log, truncated := f.storedLog(job.ID); log != want.String() || truncated {
		t.Errorf("server's log has %d bytes (truncated %v), want the %d written, in order", len(log), truncated, want.Len())
	}
}

func TestTheLogWriterIsSafeForConcurrentWriters(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	job, c := f.claimed(t, "gantry-plan")
	w := runner.NewLogWriter(t.Context(), c, time.Millisecond, nil)
	const writers, lines = 8, 50
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range lines {
				fmt.Fprintf(w, "writer %d line %d\n", i, j)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	log, _ := f.storedLog(job.ID)
	got := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("server's log has %d lines, want %d", len(got), writers*lines)
	}
	next := make([]int, writers)
	for _, line := range got {
		var i, j int
		if _, err := fmt.Sscanf(line, "writer %d line %d", &i, &j); err != nil || i < 0 || i >= writers || j != next[i] {
			t.Fatalf("line %q is torn or out of its writer's order", line)
		}
		next[i]++
	}
}

func TestTheLogWriterStopsQuietlyWhenTheJobEnded(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t)
	_, ref, end := f.dispatchEndable()
	c := f.client(ref)
	if _, err := c.Claim(t.Context(), f.issuer.Sign(f.honestClaims("gantry-plan"))); err != nil {
		t.Fatal(err)
	}
	end()
	w := runner.NewLogWriter(t.Context(), c, time.Hour, nil)
	fmt.Fprintln(w, "still running")
	if err := w.Close(); err != nil {
		t.Errorf("Close after the job ended = %v, want nil (the job's end is not a log failure)", err)
	}
}

func TestTheLogWriterReportsAFailedSend(t *testing.T) {
	t.Parallel()
	f := newClientFixture(t, func(a *runner.API) { a.MaxLogChunk = 16 })
	_, c := f.claimed(t, "gantry-plan")
	w := runner.NewLogWriter(context.Background(), c, time.Hour, nil)
	fmt.Fprintln(w, "a line longer than the server takes")
	err := w.Close()
	var apiErr *runner.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("Close = %v, want the server's 413", err)
	}
}
