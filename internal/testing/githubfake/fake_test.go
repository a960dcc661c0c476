package githubfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// errorRecorder stands in for the test a fake is given, to observe the failures the fake reports.
type errorRecorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func do(t *testing.T, method, url, auth, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var decoded map[string]any
	_ = json.Unmarshal(raw, &decoded)
	return resp.StatusCode, resp.Header, decoded
}

func TestARequestTheFakeDoesNotServeFailsTheTest(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, method, path string }{
		{name: "an unknown path", method: "GET", path: "repos/classla/lms/issues"},
		{name: "a known path with another method", method: "PUT", path: "repos/classla/lms/pulls/7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &errorRecorder{TB: t}
			fake := githubfake.New(rec)
			status, _, body := do(t, tt.method, fake.URL()+tt.path, "", "")

			want := []string{fmt.Sprintf("githubfake: unexpected request %s /%s", tt.method, tt.path)}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if diff := cmp.Diff(want, rec.errors); diff != "" {
				t.Errorf("failures reported to the test differ (-want +got):\n%s", diff)
			}
			if status != http.StatusNotFound || body["message"] != "Not Found" || body["documentation_url"] == nil {
				t.Errorf("answer = %d %v, want 404 in GitHub's error shape", status, body)
			}
		})
	}
}

// appJWT signs claims as the App would, with the fake's key unless key says otherwise.
func appJWT(t *testing.T, fake *githubfake.Server, issuer string, lifetime time.Duration) string {
	t.Helper()
	key, err := jwt.ParseRSAPrivateKeyFromPEM(fake.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	iat := time.Now().Add(-30 * time.Second)
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer: issuer, IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(iat.Add(lifetime)),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestTheFakeChecksAppAndInstallationCredentials(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	appID := fmt.Sprint(fake.AppID())
	mint := fake.URL() + "app/installations/3/access_tokens"
	pull := fake.URL() + "repos/classla/lms/pulls/7"

	status, _, minted := do(t, "POST", mint, "Bearer "+appJWT(t, fake, appID, 2*time.Minute), "")
	if status != http.StatusCreated || !strings.HasPrefix(fmt.Sprint(minted["token"]), "ghs_") {
		t.Fatalf("minting with a good JWT answered %d %v", status, minted)
	}
	token := fmt.Sprint(minted["token"])
	tests := []struct {
		name, method, url, auth string
		want                    int
	}{
		{name: "a JWT with another issuer cannot mint", method: "POST", url: mint, auth: "Bearer " + appJWT(t, fake, "999", 2*time.Minute), want: 401},
		{name: "a JWT living over ten minutes cannot mint", method: "POST", url: mint, auth: "Bearer " + appJWT(t, fake, appID, 11*time.Minute), want: 401},
		{name: "an installation token cannot mint", method: "POST", url: mint, auth: "token " + token, want: 401},
		{name: "GET /app needs the JWT", method: "GET", url: fake.URL() + "app", auth: "token " + token, want: 401},
		{name: "GET /app accepts the JWT", method: "GET", url: fake.URL() + "app", auth: "Bearer " + appJWT(t, fake, appID, time.Minute), want: 200},
		{name: "a repository route refuses no credentials", method: "GET", url: pull, want: 401},
		{name: "a repository route refuses a token it did not mint", method: "GET", url: pull, auth: "token ghs_forged", want: 401},
		{name: "a repository route refuses the App JWT", method: "GET", url: pull, auth: "Bearer " + appJWT(t, fake, appID, time.Minute), want: 401},
		{name: "a repository route accepts a minted token as token", method: "GET", url: pull, auth: "token " + token, want: 200},
		{name: "a repository route accepts a minted token as Bearer", method: "GET", url: pull, auth: "Bearer " + token, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, _, body := do(t, tt.method, tt.url, tt.auth, "")
			if status != tt.want {
				t.Errorf("%s answered %d %v, want %d", tt.method, status, body["message"], tt.want)
			}
			if status == 401 && body["documentation_url"] == nil {
				t.Errorf("401 is not in GitHub's error shape: %v", body)
			}
		})
	}
}

// mintToken returns an Authorization header value with a fresh installation token.
func mintToken(t *testing.T, fake *githubfake.Server) string {
	t.Helper()
	status, _, minted := do(t, "POST", fake.URL()+"app/installations/1/access_tokens", "Bearer "+appJWT(t, fake, fmt.Sprint(fake.AppID()), time.Minute), "")
	if status != http.StatusCreated {
		t.Fatalf("minting answered %d", status)
	}
	return "token " + fmt.Sprint(minted["token"])
}

func TestTheFakeEnforcesGitHubsLimits(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	token := mintToken(t, fake)
	quoted := func(n int) string { return strconv.Quote(strings.Repeat("é", n)) }
	api := fake.URL() + "repos/classla/lms/"
	tests := []struct {
		name, method, url, body string
		want                    int
	}{
		{name: "a comment of 65,536 characters is accepted", method: "POST", url: api + "issues/7/comments",
			body: `{"body":` + quoted(65536) + `}`, want: 201},
		{name: "a comment of 65,537 characters is refused", method: "POST", url: api + "issues/7/comments",
			body: `{"body":` + quoted(65537) + `}`, want: 422},
		{name: "an empty comment is refused", method: "POST", url: api + "issues/7/comments", body: `{"body":""}`, want: 422},
		{name: "a comment on a missing pull request is not found", method: "POST", url: api + "issues/8/comments", body: `{"body":"x"}`, want: 404},
		{name: "check-run text of 65,536 characters is refused", method: "POST", url: api + "check-runs",
			body: `{"name":"n","head_sha":"abc","output":{"title":"t","summary":"s","text":` + quoted(65536) + `}}`, want: 422},
		{name: "a completed check run without a conclusion is refused", method: "POST", url: api + "check-runs",
			body: `{"name":"n","head_sha":"abc","status":"completed"}`, want: 422},
		{name: "a deployment without a ref is refused", method: "POST", url: api + "deployments", body: `{"environment":"x"}`, want: 422},
		{name: "a body that is not JSON is refused", method: "POST", url: api + "deployments", body: `{`, want: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, _, body := do(t, tt.method, tt.url, token, tt.body)
			if status != tt.want {
				t.Errorf("answered %d %v, want %d", status, body["message"], tt.want)
			}
			if status == 422 && (body["message"] != "Validation Failed" || body["errors"] == nil) {
				t.Errorf("422 is not in GitHub's validation-error shape: %v", body)
			}
		})
	}
}

func TestListsArePaginatedWithLinkHeaders(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	for i := range 70 {
		fake.AddComment("classla/lms", 7, "alice", fmt.Sprint(i))
	}
	token := mintToken(t, fake)
	base := fake.URL() + "repos/classla/lms/issues/7/comments"
	// 70 comments at 30 a page (GitHub's default) make pages of 30, 30 and 10.
	req, _ := http.NewRequest("GET", base+"?page=2", nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if len(page) != 30 || page[0]["body"] != "30" {
		t.Errorf("page 2 holds %d comments starting with %v, want 30 starting with comment 30", len(page), page[0]["body"])
	}
	link := resp.Header.Get("Link")
	for _, want := range []string{
		`<` + base + `?page=1&per_page=30>; rel="prev"`,
		`<` + base + `?page=3&per_page=30>; rel="next"`,
		`<` + base + `?page=3&per_page=30>; rel="last"`,
		`<` + base + `?page=1&per_page=30>; rel="first"`,
	} {
		if !strings.Contains(link, want) {
			t.Errorf("Link header %q lacks %s", link, want)
		}
	}
}

func TestFailNextFailsOneMatchingRequestOnly(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	fake.FailNext("GET", "/repos/{owner}/{repo}/pulls/*", http.StatusBadGateway, "Server Error")
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	c := app.Installation(1)
	repo := github.Repo{Owner: "classla", Name: "lms"}

	if _, err := c.PullRequest(t.Context(), repo, 7); !github.IsServerError(err) {
		t.Errorf("first call: err = %v, want the injected 502", err)
	}
	if _, err := c.PullRequest(t.Context(), repo, 7); err != nil {
		t.Errorf("second call: %v, want success once the failure is used up", err)
	}
}

func TestTheFakeServesConcurrentClients(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	repo := github.Repo{Owner: "classla", Name: "lms"}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := app.Installation(int64(i%3+1)).Reply(t.Context(), repo, 7, fmt.Sprint(i)); err != nil {
				t.Errorf("Reply %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := len(fake.Comments("classla/lms", 7)); got != 20 {
		t.Errorf("%d comments after 20 concurrent replies", got)
	}
}
