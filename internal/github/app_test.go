package github_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

const tokenRoute = "/app/installations/{installation_id}/access_tokens"

func TestInstallationTokenIsMintedAtTheBaseURLWithTheAppJWT(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	c := newClient(t, fake)

	if _, err := c.PullRequest(t.Context(), lms, 7); err != nil {
		t.Fatalf("PullRequest: %v", err)
	}

	mints := requestsTo(fake, "POST", tokenRoute)
	if len(mints) != 1 {
		t.Fatalf("the fake saw %d token requests, want 1", len(mints))
	}
	if mints[0].Path != "/app/installations/7/access_tokens" {
		t.Errorf("token minted at %s, want /app/installations/7/access_tokens", mints[0].Path)
	}
	// An App JWT is three dot-separated parts; the fake verified its signature and issuer (status 201).
	auth := mints[0].Header.Get("Authorization")
	if jwt, ok := strings.CutPrefix(auth, "Bearer "); !ok || strings.Count(jwt, ".") != 2 || mints[0].Status != http.StatusCreated {
		t.Errorf("token request answered %d (Bearer JWT: %t), want a Bearer JWT accepted with 201", mints[0].Status, ok && strings.Count(jwt, ".") == 2)
	}
}

func TestInstallationTokenIsReusedUntilItExpires(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		lifetime  time.Duration
		wantMints int
	}{
		// ghinstallation renews a token one minute before it expires.
		{name: "an hour-long token serves both calls", lifetime: time.Hour, wantMints: 1},
		{name: "a token expiring within the minute is renewed for each call", lifetime: 30 * time.Second, wantMints: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake(t, githubfake.WithTokenLifetime(tt.lifetime))
			fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
			app := newApp(t, fake)
			for range 2 {
				// Installation returns the cached client, so both calls share its token.
				if _, err := app.Installation(installationID).PullRequest(t.Context(), lms, 7); err != nil {
					t.Fatalf("PullRequest: %v", err)
				}
			}
			if got := len(requestsTo(fake, "POST", tokenRoute)); got != tt.wantMints {
				t.Errorf("the fake minted %d tokens for two calls, want %d", got, tt.wantMints)
			}
		})
	}
}

func TestEnterpriseBaseURLWithAPathIsUsedForTokensAndCalls(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	target, _ := url.Parse(fake.URL())
	// A GitHub Enterprise Server-like host serving the API under /api/v3/.
	var (
		mu   sync.Mutex
		seen []string
	)
	ghes := httptest.NewServer(http.StripPrefix("/api/v3", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	})))
	t.Cleanup(ghes.Close)

	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: ghes.URL + "/api/v3/"})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	if _, err := app.Installation(installationID).PullRequest(t.Context(), lms, 7); err != nil {
		t.Fatalf("PullRequest through /api/v3/: %v", err)
	}
	want := []string{"POST /app/installations/7/access_tokens", "GET /repos/classla/lms/pulls/7"}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("the enterprise host saw %q, want %q", seen, want)
	}
}

func TestBotLoginComesFromTheAppSlugOnce(t *testing.T) {
	t.Parallel()
	fake := newFake(t, githubfake.WithSlug("gantry-ci"))
	app := newApp(t, fake)
	for range 2 {
		login, err := app.BotLogin(t.Context())
		if err != nil {
			t.Fatalf("BotLogin: %v", err)
		}
		if login != "gantry-ci[bot]" {
			t.Errorf("BotLogin = %q, want gantry-ci[bot]", login)
		}
	}
	if got := len(requestsTo(fake, "GET", "/app")); got != 1 {
		t.Errorf("GET /app called %d times, want 1 (cached)", got)
	}
}

func TestNewAppRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	key := githubfake.New(t).PrivateKeyPEM()
	tests := []struct {
		name string
		cfg  github.AppConfig
		want string
	}{
		{name: "a missing App ID names the variable", cfg: github.AppConfig{PrivateKey: key}, want: "GITHUB_APP_ID"},
		{name: "a missing key names the variables", cfg: github.AppConfig{AppID: 1}, want: "GITHUB_APP_PRIVATE_KEY"},
		{name: "a key that is not PEM says what is expected", cfg: github.AppConfig{AppID: 1, PrivateKey: []byte("hunter2")}, want: "not a PEM-encoded RSA key"},
		{name: "a non-HTTP API URL names the variable", cfg: github.AppConfig{AppID: 1, PrivateKey: key, BaseURL: "ftp://github.example"}, want: "GITHUB_API_URL"},
		{name: "an API URL with credentials is refused without echoing them", cfg: github.AppConfig{AppID: 1, PrivateKey: key, BaseURL: "https://user:s3cret@github.example/api/v3/"}, want: "must not carry credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := github.NewApp(tt.cfg)
			mustContain(t, err, tt.want)
			if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret")) {
				t.Errorf("error %q repeats a secret", err)
			}
		})
	}
}
