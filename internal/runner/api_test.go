package runner_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/runner"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/oidcfake"
)

const (
	apiAudience = "https://gantry.example.com"
	apiRepo     = "acme/infra"
	apiRepoID   = "98765"
	apiWorkflow = "gantry.yml"
	apiBranch   = "main"
	apiSpec     = `{"project":"network","workspace":"default"}`
)

// apiFixture is a runner API over a real SQLite store and a fake Actions issuer.
type apiFixture struct {
	t       testing.TB
	store   *sqlite.Store
	issuer  *oidcfake.Issuer
	handler http.Handler
}

func newAPIFixture(t testing.TB, maxBody int64) *apiFixture {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	iss := oidcfake.New(t)
	api := &runner.API{
		Store:    s,
		Verifier: runner.NewVerifier(iss.URL(), iss.Client()),
		Expect: func(job store.Job, rj store.RunnerJob) (runner.Expect, error) {
			return runner.Expect{Audience: apiAudience, Repository: job.Repo, RepositoryID: apiRepoID,
				DefaultBranch: apiBranch, WorkflowFile: apiWorkflow, Environment: rj.Environment}, nil
		},
		MaxBody: maxBody,
	}
	return &apiFixture{t: t, store: s, issuer: iss, handler: api.Handler()}
}

// dispatch queues a plan job of apiRepo and dispatches it into environment.
func (f *apiFixture) dispatch(environment string) (store.Job, string) {
	f.t.Helper()
	j, err := f.store.EnqueueJob(f.t.Context(), store.NewJob{Kind: "plan", InstallationID: 1, Repo: apiRepo, PR: 7,
		SHA: "0123456789abcdef0123456789abcdef01234567", Spec: []byte(apiSpec)})
	if err != nil {
		f.t.Fatalf("enqueue: %v", err)
	}
	ref, err := f.store.DispatchJob(f.t.Context(), j.ID, environment)
	if err != nil {
		f.t.Fatalf("dispatch: %v", err)
	}
	return j, ref
}

// honestClaims are the claims of a run of the workflow dispatched into environment.
func (f *apiFixture) honestClaims(environment string) oidcfake.Claims {
	return f.issuer.ActionsClaims(apiRepo, apiRepoID, apiBranch, apiWorkflow, environment, apiAudience)
}

func (f *apiFixture) post(path, token, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	// No answer ever quotes the credential it was sent.
	if token != "" && strings.Contains(rec.Body.String(), token) {
		f.t.Errorf("POST %s answered a body that quotes the bearer token: %s", path, rec.Body)
	}
	return rec
}

func (f *apiFixture) claim(ref, token string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.post("/api/runner/v1/jobs/"+ref+"/claim", token, "")
}

func (f *apiFixture) heartbeat(ref, token string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.post("/api/runner/v1/jobs/"+ref+"/heartbeat", token, "")
}

// mustClaim claims ref honestly and returns the job token.
func (f *apiFixture) mustClaim(ref, environment string) runner.ClaimResponse {
	f.t.Helper()
	rec := f.claim(ref, f.issuer.Sign(f.honestClaims(environment)))
	if rec.Code != http.StatusOK {
		f.t.Fatalf("honest claim = %d %s, want 200", rec.Code, rec.Body)
	}
	var resp runner.ClaimResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		f.t.Fatalf("claim response %s: %v", rec.Body, err)
	}
	return resp
}

// checkRefused fails t unless rec has status want and a JSON error body.
func checkRefused(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d %s, want %d", rec.Code, rec.Body, want)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
		t.Errorf("body %q is not {\"error\": \"…\"} (%v)", rec.Body, err)
	}
}

// checkUnclaimed fails t unless ref is still free to claim.
func checkUnclaimed(t *testing.T, s store.Store, ref string) {
	t.Helper()
	rj, _, err := s.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if !rj.ClaimedAt.IsZero() || rj.TokenHash != "" {
		t.Errorf("a refused claim was recorded: %+v", rj)
	}
}

func TestTheDispatchedRunnerClaimsAndHeartbeats(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, 0)
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	want := runner.ClaimedJob{ID: job.ID, Kind: "plan", Spec: json.RawMessage(apiSpec)}
	if diff := cmp.Diff(want, resp.Job, cmp.Transformer("json", func(m json.RawMessage) string { return string(m) })); diff != "" {
		t.Errorf("claimed job (-want +got):\n%s", diff)
	}
	rj, _, err := f.store.RunnerJobByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if rj.TokenHash == resp.Token || !runner.CheckJobToken(resp.Token, rj.TokenHash) {
		t.Errorf("stored token hash %q is not the hash of the job token", rj.TokenHash)
	}
	if rec := f.heartbeat(ref, resp.Token); rec.Code != http.StatusNoContent {
		t.Errorf("heartbeat with the job token = %d %s, want 204", rec.Code, rec.Body)
	}
}

func TestATokenOfAnotherRepositoryOrEnvironmentCannotClaim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		forged func(c oidcfake.Claims)
	}{
		{"a run of another repository", func(c oidcfake.Claims) {
			c["repository"], c["repository_id"] = "mallory/infra", "666"
			c["workflow_ref"] = "mallory/infra/.github/workflows/gantry.yml@refs/heads/main"
		}},
		{"a recreated repository of the same name", func(c oidcfake.Claims) { c["repository_id"] = "666" }},
		{"a run in the plan environment claiming an apply", func(c oidcfake.Claims) { c["environment"] = "gantry-plan" }},
		{"a run without an environment", func(c oidcfake.Claims) { delete(c, "environment") }},
		{"a run of a pull request branch", func(c oidcfake.Claims) {
			c["ref"] = "refs/heads/feature"
			c["workflow_ref"] = apiRepo + "/.github/workflows/gantry.yml@refs/heads/feature"
		}},
		{"a run of another workflow", func(c oidcfake.Claims) {
			c["workflow_ref"] = apiRepo + "/.github/workflows/other.yml@refs/heads/main"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newAPIFixture(t, 0)
			_, ref := f.dispatch("production")
			c := f.honestClaims("production")
			tc.forged(c)
			checkRefused(t, f.claim(ref, f.issuer.Sign(c)), http.StatusForbidden)
			checkUnclaimed(t, f.store, ref)
		})
	}
}

func TestAnExpiredOrForgedTokenCannotClaim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		token func(f *apiFixture) string
	}{
		{"an expired token", func(f *apiFixture) string {
			c := f.honestClaims("gantry-plan")
			past := time.Now().Add(-time.Hour)
			c["iat"], c["nbf"], c["exp"] = past.Add(-5*time.Minute).Unix(), past.Add(-5*time.Minute).Unix(), past.Unix()
			return f.issuer.Sign(c)
		}},
		{"a token signed with a key the issuer never published", func(f *apiFixture) string {
			return f.issuer.Sign(f.honestClaims("gantry-plan"), oidcfake.UnknownKey())
		}},
		{"a token signed with another key under the issuer's kid", func(f *apiFixture) string {
			return f.issuer.Sign(f.honestClaims("gantry-plan"), oidcfake.UnknownKeyWithKID(f.issuer.KID()))
		}},
		{"an unsigned token", func(f *apiFixture) string {
			return f.issuer.Sign(f.honestClaims("gantry-plan"), oidcfake.AlgNone())
		}},
		{"a token for another server", func(f *apiFixture) string {
			c := f.honestClaims("gantry-plan")
			c["aud"] = "https://other.example.com"
			return f.issuer.Sign(c)
		}},
		{"no token at all", func(*apiFixture) string { return "" }},
		{"a job token instead of an OIDC token", func(*apiFixture) string { tok, _ := runner.NewJobToken(); return tok }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newAPIFixture(t, 0)
			_, ref := f.dispatch("gantry-plan")
			checkRefused(t, f.claim(ref, tc.token(f)), http.StatusUnauthorized)
			checkUnclaimed(t, f.store, ref)
		})
	}
}

func TestAGuessedJobIDFindsNothing(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, 0)
	job, ref := f.dispatch("gantry-plan")
	token := f.issuer.Sign(f.honestClaims("gantry-plan"))
	for _, guess := range []string{"1", "00000000000000000000000000000000", ref[:len(ref)-1] + "x"} {
		checkRefused(t, f.claim(guess, token), http.StatusNotFound)
	}
	// The job's own id is not its ref.
	checkRefused(t, f.claim(strconv.FormatInt(job.ID, 10), token), http.StatusNotFound)
	checkUnclaimed(t, f.store, ref)
}

func TestASecondClaimIsRefusedAndTheFirstTokenStillWorks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		second func(c oidcfake.Claims)
	}{
		{"the same run again", func(oidcfake.Claims) {}},
		{"another run of the workflow", func(c oidcfake.Claims) { c["run_id"] = "5151" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newAPIFixture(t, 0)
			_, ref := f.dispatch("gantry-plan")
			first := f.mustClaim(ref, "gantry-plan")
			c := f.honestClaims("gantry-plan")
			tc.second(c)
			checkRefused(t, f.claim(ref, f.issuer.Sign(c)), http.StatusConflict)
			if rec := f.heartbeat(ref, first.Token); rec.Code != http.StatusNoContent {
				t.Errorf("heartbeat with the first claim's token after a second claim = %d %s, want 204", rec.Code, rec.Body)
			}
		})
	}
}

func TestAnotherJobsTokenCannotHeartbeat(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, 0)
	_, victim := f.dispatch("production")
	_, own := f.dispatch("gantry-plan")
	f.mustClaim(victim, "production")
	mine := f.mustClaim(own, "gantry-plan")
	checkRefused(t, f.heartbeat(victim, mine.Token), http.StatusUnauthorized)
	checkRefused(t, f.heartbeat(victim, ""), http.StatusUnauthorized)
	// The OIDC token that claimed a job is not its job token either.
	checkRefused(t, f.heartbeat(victim, f.issuer.Sign(f.honestClaims("production"))), http.StatusUnauthorized)
}

func TestARunnerOfAnEndedJobIsToldToStop(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, 0)
	j, err := f.store.EnqueueJob(t.Context(), store.NewJob{Kind: "plan", Repo: apiRepo, Key: "k", Spec: []byte(apiSpec)})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := f.store.DispatchJob(t.Context(), j.ID, "gantry-plan")
	if err != nil {
		t.Fatal(err)
	}
	resp := f.mustClaim(ref, "gantry-plan")
	if _, err := f.store.CancelJobs(t.Context(), "k", 0); err != nil {
		t.Fatal(err)
	}
	checkRefused(t, f.heartbeat(ref, resp.Token), http.StatusConflict)
}

func TestAnOversizeBodyIsRefusedBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, 1024)
	_, ref := f.dispatch("gantry-plan")
	big := strings.Repeat("x", 1025)
	checkRefused(t, f.post("/api/runner/v1/jobs/"+ref+"/claim", f.issuer.Sign(f.honestClaims("gantry-plan")), big),
		http.StatusRequestEntityTooLarge)
	checkUnclaimed(t, f.store, ref)
	resp := f.mustClaim(ref, "gantry-plan")
	checkRefused(t, f.post("/api/runner/v1/jobs/"+ref+"/heartbeat", resp.Token, big), http.StatusRequestEntityTooLarge)
	if rec := f.post("/api/runner/v1/jobs/"+ref+"/heartbeat", resp.Token, strings.Repeat("x", 1024)); rec.Code != http.StatusNoContent {
		t.Errorf("heartbeat with a body at the limit = %d %s, want 204", rec.Code, rec.Body)
	}
}

func TestLogsAndResultsAreNotAcceptedYet(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, 0)
	_, ref := f.dispatch("gantry-plan")
	for _, p := range []string{"logs", "result"} {
		checkRefused(t, f.post("/api/runner/v1/jobs/"+ref+"/"+p, "some-runner-token", "{}"), http.StatusNotImplemented)
	}
}

// BenchmarkClaim measures the server's side of a claim: reading the dispatch, verifying the OIDC token against
// cached keys, making a job token and recording the claim in SQLite. Queueing and dispatching are not timed.
func BenchmarkClaim(b *testing.B) {
	f := newAPIFixture(b, 0)
	token := f.issuer.Sign(f.honestClaims("gantry-plan"))
	_, warm := f.dispatch("gantry-plan")
	if rec := f.claim(warm, token); rec.Code != http.StatusOK { // discovers the issuer's keys
		b.Fatalf("warm-up claim = %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		_, ref := f.dispatch("gantry-plan")
		b.StartTimer()
		if rec := f.claim(ref, token); rec.Code != http.StatusOK {
			b.Fatalf("claim = %d %s", rec.Code, rec.Body)
		}
	}
}
