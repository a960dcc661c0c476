package github_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// runnerClient is what gantry run builds inside a workflow run: a client holding the run's GITHUB_TOKEN.
func runnerClient(t *testing.T, fake *githubfake.Server, f *redact.Filter) (*github.Client, string) {
	t.Helper()
	token := fake.ActionsToken("classla/lms")
	c, err := github.NewTokenClient(github.TokenConfig{BaseURL: fake.URL(), Token: token, Redact: f})
	if err != nil {
		t.Fatalf("NewTokenClient: %v", err)
	}
	return c, token
}

func TestAGitHubTokenReadsTheRepository(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetTarball("classla/lms", "main", tree)
	fake.SetFile("classla/lms", "main", ".gantry.yaml", "version: 1\n")
	c, _ := runnerClient(t, fake, nil)

	var buf bytes.Buffer
	if err := c.Tarball(t.Context(), lms, "main", &buf); err != nil {
		t.Fatalf("Tarball: %v", err)
	}
	if files := untar(t, buf.Bytes()); len(files) != len(tree) {
		t.Errorf("the archive holds %d files, want %d", len(files), len(tree))
	}
	content, found, err := c.DefaultBranchFile(t.Context(), lms, ".gantry.yaml")
	if err != nil || !found || string(content) != "version: 1\n" {
		t.Errorf("DefaultBranchFile = %q, %t, %v; want the file", content, found, err)
	}
	for _, r := range fake.Requests() {
		if r.TokenKind != githubfake.TokenActions {
			t.Errorf("%s %s was made with %q, want the GITHUB_TOKEN only", r.Method, r.Path, r.TokenKind)
		}
	}
}

func TestAGitHubTokenCannotWriteAndTheErrorSaysWhy(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	f := redact.New()
	c, token := runnerClient(t, fake, f)

	writes := map[string]func() error{
		"Reply": func() error {
			_, err := c.Reply(t.Context(), lms, 7, "hello")
			return err
		},
		"CreateCheckRun": func() error {
			_, err := c.CreateCheckRun(t.Context(), lms, github.CheckRun{Name: "gantry/plan", HeadSHA: sha, Status: "queued"})
			return err
		},
		"DispatchWorkflow": func() error {
			_, err := c.DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", nil)
			return err
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			err := write()
			mustContain(t, err, "GITHUB_TOKEN", "lacks the permission", "contents: read")
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error %q shows the token", err)
			}
		})
	}
	t.Run("UpsertComment", func(t *testing.T) {
		before := len(fake.Requests())
		_, err := c.UpsertComment(t.Context(), lms, 7, "<!-- gantry:project=production -->", "body")
		mustContain(t, err, "GITHUB_TOKEN")
		if n := len(fake.Requests()) - before; n != 0 {
			t.Errorf("UpsertComment sent %d requests, want none: the token cannot act as the App", n)
		}
	})
	if n := len(fake.Comments("classla/lms", 7)) + len(fake.CheckRuns("classla/lms")); n != 0 {
		t.Errorf("the refused writes left %d things on GitHub", n)
	}
	if got := f.String("token=" + token); strings.Contains(got, token) {
		t.Errorf("the redaction filter does not know the token: %q", got)
	}
}

func TestAGitHubTokenIsRequired(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", " \n"} {
		_, err := github.NewTokenClient(github.TokenConfig{BaseURL: "https://api.github.com/", Token: token})
		mustContain(t, err, "GITHUB_TOKEN is empty", "GITHUB_TOKEN: ${{ github.token }}")
	}
	_, err := github.NewTokenClient(github.TokenConfig{BaseURL: "ftp://github.example/", Token: "ghs_0123456789abcdef"})
	mustContain(t, err, "GITHUB_API_URL")
}

func TestAGitHubTokenWorksThroughAnEnterpriseBaseURL(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	fake.SetTarball("classla/lms", "main", tree)
	target, _ := url.Parse(fake.URL())
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

	c, err := github.NewTokenClient(github.TokenConfig{BaseURL: ghes.URL + "/api/v3/", Token: fake.ActionsToken("classla/lms")})
	if err != nil {
		t.Fatalf("NewTokenClient: %v", err)
	}
	_, found, err := c.DefaultBranchFile(t.Context(), lms, "missing.tf")
	if err != nil || found {
		t.Fatalf("DefaultBranchFile through /api/v3/ = %t, %v; want not found", found, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"GET /repos/classla/lms/contents/missing.tf"}, seen); diff != "" {
		t.Errorf("the enterprise host saw (-want +got):\n%s", diff)
	}
}
