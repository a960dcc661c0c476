package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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

	mu       sync.Mutex
	reported []int64 // the jobs API.Reported was called with
}

// newAPIFixture serves the API; configure, when given, changes it first (its caps).
func newAPIFixture(t testing.TB, configure ...func(*runner.API)) *apiFixture {
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
		Expect: func(_ context.Context, job store.Job, rj store.RunnerJob) (runner.Expect, error) {
			return runner.Expect{Audience: apiAudience, Repository: job.Repo, RepositoryID: apiRepoID,
				DefaultBranch: apiBranch, WorkflowFile: apiWorkflow, Environment: rj.Environment}, nil
		},
	}
	f := &apiFixture{t: t, store: s, issuer: iss}
	api.Reported = func(jobID int64) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reported = append(f.reported, jobID)
	}
	for _, c := range configure {
		c(api)
	}
	f.handler = api.Handler()
	return f
}

// reportedJobs returns the jobs API.Reported was called with.
func (f *apiFixture) reportedJobs() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reported)
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

// dispatchEndable dispatches a plan job into gantry-plan and returns its id, its ref and a function that ends the job
// (as a newer push cancels it).
func (f *apiFixture) dispatchEndable() (jobID int64, ref string, end func()) {
	f.t.Helper()
	key := fmt.Sprintf("plan:%d", time.Now().UnixNano())
	j, err := f.store.EnqueueJob(f.t.Context(), store.NewJob{Kind: "plan", Repo: apiRepo, Key: key, Spec: []byte(apiSpec)})
	if err != nil {
		f.t.Fatal(err)
	}
	if ref, err = f.store.DispatchJob(f.t.Context(), j.ID, "gantry-plan"); err != nil {
		f.t.Fatal(err)
	}
	return j.ID, ref, func() {
		f.t.Helper()
		if _, err := f.store.CancelJobs(f.t.Context(), key, 0); err != nil {
			f.t.Fatal(err)
		}
	}
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

func (f *apiFixture) result(ref, token, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.post("/api/runner/v1/jobs/"+ref+"/result", token, body)
}

func (f *apiFixture) log(ref, token, text string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.post("/api/runner/v1/jobs/"+ref+"/logs", token, text)
}

// runnerJob reads the runner side of job id from the store.
func (f *apiFixture) runnerJob(id int64) store.RunnerJob {
	f.t.Helper()
	rj, err := f.store.RunnerJob(f.t.Context(), id)
	if err != nil {
		f.t.Fatalf("RunnerJob(%d): %v", id, err)
	}
	return rj
}

// storedLog reads the log of job id from the store.
func (f *apiFixture) storedLog(id int64) (string, bool) {
	f.t.Helper()
	log, truncated, err := f.store.RunnerLog(f.t.Context(), id)
	if err != nil {
		f.t.Fatalf("RunnerLog(%d): %v", id, err)
	}
	return string(log), truncated
}

// checkNothingReported fails t when job id has a result, or API.Reported was called.
func (f *apiFixture) checkNothingReported(t *testing.T, id int64) {
	t.Helper()
	if rj := f.runnerJob(id); !rj.ReportedAt.IsZero() || rj.Result != nil || rj.ResultError != "" {
		t.Errorf("a refused result was stored: ReportedAt %v, Result %.80q, Error %q", rj.ReportedAt, rj.Result, rj.ResultError)
	}
	if got := f.reportedJobs(); len(got) != 0 {
		t.Errorf("API.Reported was called for jobs %v after a refused result", got)
	}
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
	f := newAPIFixture(t)
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	want := runner.ClaimedJob{ID: job.ID, Kind: "plan", Spec: json.RawMessage(apiSpec), Repo: apiRepo, PR: 7,
		SHA: "0123456789abcdef0123456789abcdef01234567"}
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
			f := newAPIFixture(t)
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
			f := newAPIFixture(t)
			_, ref := f.dispatch("gantry-plan")
			checkRefused(t, f.claim(ref, tc.token(f)), http.StatusUnauthorized)
			checkUnclaimed(t, f.store, ref)
		})
	}
}

func TestAGuessedJobIDFindsNothing(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
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
			f := newAPIFixture(t)
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
	f := newAPIFixture(t)
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
	f := newAPIFixture(t)
	_, ref, end := f.dispatchEndable()
	resp := f.mustClaim(ref, "gantry-plan")
	end()
	checkRefused(t, f.heartbeat(ref, resp.Token), http.StatusConflict)
}

func TestAnOversizeBodyIsRefusedBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, func(a *runner.API) { a.MaxBody = 1024 })
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

// BenchmarkClaim measures the server's side of a claim: reading the dispatch, verifying the OIDC token against
// cached keys, making a job token and recording the claim in SQLite. Queueing and dispatching are not timed.
func BenchmarkClaim(b *testing.B) {
	f := newAPIFixture(b)
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

// planOutcome is an outcome as a runner posts it: a plan file (binary, base64 in JSON) and its JSON.
const planOutcome = `{"plan_file":"UEsDBBQAAAAIAP8AAA==","plan_json":{"format_version":"1.2","resource_changes":[` +
	`{"address":"aws_s3_bucket.logs","change":{"actions":["create"]}}]},"summary":"Plan: 1 to add, 0 to change, 0 to destroy."}`

func TestTheRunnersResultIsStoredAsSent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		body    string
		outcome string
		errText string
	}{
		{"a successful plan", `{"outcome": ` + planOutcome + `}`, planOutcome, ""},
		{"a failure with a partial outcome", `{"outcome":{"log_tail":"Error: \u00e9chec"},"error":"terraform init: exit status 1"}`,
			`{"log_tail":"Error: \u00e9chec"}`, "terraform init: exit status 1"},
		{"a failure without an outcome", `{"error":"no terraform on the runner's PATH"}`, "", "no terraform on the runner's PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newAPIFixture(t)
			job, ref := f.dispatch("gantry-plan")
			resp := f.mustClaim(ref, "gantry-plan")
			if rec := f.result(ref, resp.Token, tc.body); rec.Code != http.StatusNoContent {
				t.Fatalf("result = %d %s, want 204", rec.Code, rec.Body)
			}
			rj := f.runnerJob(job.ID)
			if string(rj.Result) != tc.outcome || rj.ResultError != tc.errText || rj.ReportedAt.IsZero() {
				t.Errorf("stored result = %s, error %q, reported at %v; want %s, %q, a time", rj.Result, rj.ResultError,
					rj.ReportedAt, tc.outcome, tc.errText)
			}
			if got := f.reportedJobs(); !slices.Equal(got, []int64{job.ID}) {
				t.Errorf("API.Reported was called for %v, want once for job %d", got, job.ID)
			}
		})
	}
}

func TestALargeResultIsStoredByteForByte(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	// A 3 MiB plan JSON, with escapes and non-ASCII text as terraform show -json writes them.
	var b strings.Builder
	b.WriteString(`{"resource_changes":[`)
	for i := 0; b.Len() < 3<<20; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"address":"aws_route53_record.r[%d]","name":"caf\u00e9 \"%d\"","value":"ü<&>"}`, i, i)
	}
	b.WriteString(`]}`)
	outcome := b.String()
	if rec := f.result(ref, resp.Token, `{"outcome":`+outcome+`,"error":""}`); rec.Code != http.StatusNoContent {
		t.Fatalf("result = %d %s, want 204", rec.Code, rec.Body)
	}
	if got := f.runnerJob(job.ID).Result; string(got) != outcome {
		t.Errorf("stored outcome has %d bytes and differs from the %d bytes sent", len(got), len(outcome))
	}
}

func TestASecondResultIsRefused(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	if rec := f.result(ref, resp.Token, `{"outcome":{"n":1}}`); rec.Code != http.StatusNoContent {
		t.Fatalf("first result = %d %s, want 204", rec.Code, rec.Body)
	}
	rec := f.result(ref, resp.Token, `{"outcome":{"n":2},"error":"changed my mind"}`)
	checkRefused(t, rec, http.StatusConflict)
	if !strings.Contains(rec.Body.String(), "already received") {
		t.Errorf("second result answered %s, want it to say a result was already received", rec.Body)
	}
	if rj := f.runnerJob(job.ID); string(rj.Result) != `{"n":1}` || rj.ResultError != "" {
		t.Errorf("stored result after a second one = %s %q, want the first", rj.Result, rj.ResultError)
	}
	if got := f.reportedJobs(); len(got) != 1 {
		t.Errorf("API.Reported was called %d times, want once", len(got))
	}
}

func TestAnotherJobsTokenCannotReportOrLog(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	victim, victimRef := f.dispatch("production")
	_, own := f.dispatch("gantry-plan")
	f.mustClaim(victimRef, "production")
	mine := f.mustClaim(own, "gantry-plan")
	for _, token := range []string{mine.Token, "", f.issuer.Sign(f.honestClaims("production"))} {
		checkRefused(t, f.result(victimRef, token, `{"outcome":{"applied":true}}`), http.StatusUnauthorized)
		checkRefused(t, f.log(victimRef, token, "Apply complete! Resources: 0 added\n"), http.StatusUnauthorized)
	}
	f.checkNothingReported(t, victim.ID)
	if log, _ := f.storedLog(victim.ID); log != "" {
		t.Errorf("the victim's log = %q after refused appends, want it empty", log)
	}
}

func TestAResultBeforeTheClaimIsRefused(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	job, ref := f.dispatch("gantry-plan")
	// Nobody holds a job token yet: whatever is sent, there is no hash to match.
	tok, _ := runner.NewJobToken()
	for _, token := range []string{tok, f.issuer.Sign(f.honestClaims("gantry-plan"))} {
		checkRefused(t, f.result(ref, token, `{"outcome":{}}`), http.StatusUnauthorized)
		checkRefused(t, f.log(ref, token, "forged"), http.StatusUnauthorized)
	}
	f.checkNothingReported(t, job.ID)
	checkUnclaimed(t, f.store, ref)
}

func TestAResultForAnUnknownJobIsNotFound(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	_, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	checkRefused(t, f.result(ref[:len(ref)-1]+"x", resp.Token, `{}`), http.StatusNotFound)
	checkRefused(t, f.log(ref[:len(ref)-1]+"x", resp.Token, "x"), http.StatusNotFound)
}

func TestAResultAfterTheJobEndedIsRefused(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	jobID, ref, end := f.dispatchEndable()
	resp := f.mustClaim(ref, "gantry-plan")
	end()
	rec := f.result(ref, resp.Token, `{"outcome":{}}`)
	checkRefused(t, rec, http.StatusConflict)
	if !strings.Contains(rec.Body.String(), "stop working on it") {
		t.Errorf("result after the job ended answered %s, want it to tell the runner to stop", rec.Body)
	}
	checkRefused(t, f.log(ref, resp.Token, "still going\n"), http.StatusConflict)
	f.checkNothingReported(t, jobID)
	if log, _ := f.storedLog(jobID); log != "" {
		t.Errorf("log after the job ended = %q, want it empty", log)
	}
}

func TestAResultThatIsNotJSONIsRefused(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"outcome": {"plan": }`,
		`{"outcome": "unterminated}`,
		`plan: 1 to add`,
		`{"outcome":{}} trailing`,
		``,
	} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			f := newAPIFixture(t)
			job, ref := f.dispatch("gantry-plan")
			resp := f.mustClaim(ref, "gantry-plan")
			rec := f.result(ref, resp.Token, body)
			checkRefused(t, rec, http.StatusBadRequest)
			if !strings.Contains(rec.Body.String(), "JSON") {
				t.Errorf("answer %s does not say the body must be JSON", rec.Body)
			}
			f.checkNothingReported(t, job.ID)
			// The runner may still send a good one.
			if rec := f.result(ref, resp.Token, `{"error":"gave up"}`); rec.Code != http.StatusNoContent {
				t.Errorf("a valid result after a refused one = %d %s, want 204", rec.Code, rec.Body)
			}
		})
	}
}

func TestAnOversizeResultIsRefusedAndNothingStored(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, func(a *runner.API) { a.MaxResult = 4096 })
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	big := `{"outcome":"` + strings.Repeat("x", 4096) + `"}`
	checkRefused(t, f.result(ref, resp.Token, big), http.StatusRequestEntityTooLarge)
	f.checkNothingReported(t, job.ID)
	atCap := `{"outcome":"` + strings.Repeat("x", 4096-len(`{"outcome":""}`)) + `"}`
	if rec := f.result(ref, resp.Token, atCap); rec.Code != http.StatusNoContent {
		t.Errorf("result of exactly MaxResult bytes = %d %s, want 204", rec.Code, rec.Body)
	}
}

func TestTheResultCapIsNotTheClaimCap(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, func(a *runner.API) { a.MaxBody = 1024 })
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	outcome := `"` + strings.Repeat("x", 64<<10) + `"`
	if rec := f.result(ref, resp.Token, `{"outcome":`+outcome+`}`); rec.Code != http.StatusNoContent {
		t.Fatalf("a 64 KiB result with a 1 KiB MaxBody = %d %s, want 204", rec.Code, rec.Body)
	}
	if got := f.runnerJob(job.ID).Result; string(got) != outcome {
		t.Errorf("stored outcome has %d bytes, want the %d sent", len(got), len(outcome))
	}
}

func TestTheLogIsAppendedInOrderUpToItsCap(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, func(a *runner.API) { a.MaxLog = 64 })
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	for _, chunk := range []string{"Initializing the backend...\n", "\x1b[31mError:\x1b[0m \xff bad\n", "Terraform failed to load its providers\n"} {
		if rec := f.log(ref, resp.Token, chunk); rec.Code != http.StatusNoContent {
			t.Fatalf("log %q = %d %s, want 204", chunk, rec.Code, rec.Body)
		}
	}
	log, truncated := f.storedLog(job.ID)
	// 28 + 22 bytes fit; the last line is cut after its 14th byte, at 64.
	if want := "Initializing the backend...\n\x1b[31mError:\x1b[0m \xff bad\nTerraform fail"; log != want || !truncated {
		t.Errorf("log = %q truncated %v, want %q truncated", log, truncated, want)
	}
	if rj := f.runnerJob(job.ID); !rj.LogTruncated {
		t.Error("the runner job does not say its log was truncated")
	}
	// Past the cap, appends are still accepted (they are heartbeats too) and dropped.
	if rec := f.log(ref, resp.Token, "more\n"); rec.Code != http.StatusNoContent {
		t.Errorf("log past the cap = %d %s, want 204", rec.Code, rec.Body)
	}
	if got, _ := f.storedLog(job.ID); got != log {
		t.Errorf("log after an append past the cap = %q, want %q", got, log)
	}
}

func TestAnOversizeLogChunkIsRefused(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, func(a *runner.API) { a.MaxLogChunk = 100 })
	job, ref := f.dispatch("gantry-plan")
	resp := f.mustClaim(ref, "gantry-plan")
	checkRefused(t, f.log(ref, resp.Token, strings.Repeat("x", 101)), http.StatusRequestEntityTooLarge)
	if log, _ := f.storedLog(job.ID); log != "" {
		t.Errorf("log after a refused chunk = %q, want it empty", log)
	}
	if rec := f.log(ref, resp.Token, strings.Repeat("y", 100)); rec.Code != http.StatusNoContent {
		t.Errorf("a chunk of exactly MaxLogChunk bytes = %d %s, want 204", rec.Code, rec.Body)
	}
}
