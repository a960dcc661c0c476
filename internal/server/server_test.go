package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/classla/gantry/internal/identity"
	"github.com/classla/gantry/internal/server"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/postgres"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/pgtest"
)

func newServer(t *testing.T) (*server.Server, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &server.Server{Store: st, Webhook: http.NotFoundHandler(), Log: slog.New(slog.DiscardHandler), Version: "gantry 1.0.0"}, st
}

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	b, _ := io.ReadAll(w.Body)
	return w.Code, string(b)
}

func TestReadinessFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	s, st := newServer(t)
	h := s.Handler()
	if code, _ := get(t, h, "GET", "/readyz"); code != http.StatusOK {
		t.Errorf("readyz with a working database: %d, want 200", code)
	}
	st.Close()
	if code, body := get(t, h, "GET", "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Errorf("readyz with the database closed: %d %q, want 503 naming the database", code, body)
	}
	if code, _ := get(t, h, "GET", "/healthz"); code != http.StatusOK {
		t.Errorf("healthz must stay 200 while the process serves, got %d", code)
	}
}

func TestWebhookEndpointOnlyTakesPOST(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t)
	if code, _ := get(t, s.Handler(), "GET", "/webhooks/github"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhooks/github: %d, want 405", code)
	}
}

func TestStatusPageShowsLocksJobsAndDeployments(t *testing.T) {
	t.Parallel()
	s, st := newServer(t)
	ctx := context.Background()
	if _, _, err := st.AcquireLock(ctx, store.Lock{Repo: "classla/lms", Project: "production", Workspace: "default", PR: 12, User: "alice", SHA: "a1b2c3d4e5f6"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnqueueJob(ctx, store.NewJob{Kind: "pull_request", Repo: "classla/lms", PR: 12, SHA: "a1b2c3d4e5f6"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateDeployment(ctx, store.Deployment{Repo: "classla/lms", Service: "backend", SHA: "0fedcba98765", PR: 11,
		Actor: "bob", State: store.DeploymentSuccess, ImageDigest: "sha256:4f2a"}); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s.Handler(), "GET", "/")
	if code != http.StatusOK {
		t.Fatalf("status page: %d", code)
	}
	for _, want := range []string{"gantry 1.0.0", "production", "#12 (alice)", "<code>a1b2c3d</code>", "pull_request", "queued",
		"backend", "<code>0fedcba</code>", "bob", "success", "sha256:4f2a"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	// Names come from GitHub users; the page must escape them.
	if _, _, err := st.AcquireLock(ctx, store.Lock{Repo: "classla/lms", Project: "staging", Workspace: "default", PR: 13, User: "<script>x</script>"}); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, s.Handler(), "GET", "/"); strings.Contains(body, "<script>x") {
		t.Error("status page does not escape a user name")
	}
}

func TestStatusPageShowsWarningsEscaped(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t)
	s.Warnings = []string{"the sandbox is off: gantry runs as uid 1000, not root", "<script>x</script>"}
	code, body := get(t, s.Handler(), "GET", "/")
	if code != http.StatusOK {
		t.Fatalf("status page: %d", code)
	}
	if !strings.Contains(body, "⚠️ the sandbox is off: gantry runs as uid 1000, not root") {
		t.Errorf("the status page does not show the sandbox warning:\n%s", body)
	}
	if strings.Contains(body, "<script>x</script>") {
		t.Error("a warning was not escaped")
	}
}

func TestStatusPageShowsTheIssuerAndItsKeys(t *testing.T) {
	t.Parallel()
	s, st := newServer(t)
	i, err := identity.New(identity.Config{URL: "https://gantry.example.com", Keys: st, Secret: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys, _ := st.SigningKeys(t.Context())
	s.Identity, s.IdentityStatus = i.Handler(), i.Status
	code, body := get(t, s.Handler(), "GET", "/")
	if code != http.StatusOK {
		t.Fatalf("status page: %d", code)
	}
	for _, want := range []string{"Workload identity", "https://gantry.example.com/.well-known/jwks.json", keys[0].ID, "signing"} {
		if !strings.Contains(body, want) {
			t.Errorf("the status page lacks %q:\n%s", want, body)
		}
	}
	// The issuer's documents are mounted beside the status page.
	if code, body := get(t, s.Handler(), "GET", "/.well-known/jwks.json"); code != http.StatusOK || !strings.Contains(body, keys[0].ID) {
		t.Errorf("GET /.well-known/jwks.json = %d %s", code, body)
	}
}

func TestWithoutWorkloadIdentityNothingIsServedUnderWellKnown(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t)
	if code, _ := get(t, s.Handler(), "GET", "/.well-known/openid-configuration"); code != http.StatusNotFound {
		t.Errorf("GET /.well-known/openid-configuration without workload identity = %d, want 404", code)
	}
	if _, body := get(t, s.Handler(), "GET", "/"); strings.Contains(body, "Workload identity") {
		t.Error("the status page shows workload identity while it is off")
	}
}

// With PostgreSQL, readiness follows the server: a database that goes away (here: dropped under
// the replica) makes /readyz answer 503, so the load balancer stops sending deliveries.
func TestReadinessFollowsAPostgreSQLDatabase(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	st, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := (&server.Server{Store: st, Webhook: http.NotFoundHandler(), Log: slog.New(slog.DiscardHandler)}).Handler()
	if code, _ := get(t, h, "GET", "/readyz"); code != http.StatusOK {
		t.Fatalf("readyz with a working database: %d, want 200", code)
	}
	u, _ := url.Parse(dbURL)
	admin, err := pgx.Connect(t.Context(), pgtest.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(), "DROP DATABASE "+strings.TrimPrefix(u.Path, "/")+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, h, "GET", "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Errorf("readyz with the database gone: %d %q, want 503 naming the database", code, body)
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }
