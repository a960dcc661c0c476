package github_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// installationID is the installation every test acts for; the fake accepts any.
const installationID = 7

var lms = github.Repo{Owner: "classla", Name: "lms"}

// newFake starts a fake GitHub holding the classla/lms repository.
func newFake(t *testing.T, opts ...githubfake.Option) *githubfake.Server {
	t.Helper()
	fake := githubfake.New(t, opts...)
	fake.AddRepo("classla", "lms", "main")
	return fake
}

func newApp(t *testing.T, fake *githubfake.Server) *github.App {
	t.Helper()
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	return app
}

func newClient(t *testing.T, fake *githubfake.Server) *github.Client {
	t.Helper()
	return newApp(t, fake).Installation(installationID)
}

// requestsTo returns the requests the fake served through route (a template such as
// "/repos/{owner}/{repo}/deployments") with method.
func requestsTo(fake *githubfake.Server, method, route string) []githubfake.Request {
	var out []githubfake.Request
	for _, r := range fake.Requests() {
		if r.Method == method && r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body %q is not a JSON object: %v", b, err)
	}
	return m
}

func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}
