package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// syncBuffer is a log sink the server and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const webhookSecret = "whsec-7f3a9c2e1b5d8a4f6e0c"

// serverEnv is the environment of a server talking to the fake GitHub, with a stand-in
// terraform on PATH (these tests do not plan).
func serverEnv(t testing.TB, fake *githubfake.Server) map[string]string {
	// Reachable: running as root, the server runs Terraform as the sandbox user, which must reach
	// the binary and the data directory.
	bin := sandboxtest.Reachable(t, t.TempDir())
	// The server runs `version` at start: a stand-in that answers it, and nothing else.
	writeFile(t, filepath.Join(bin, "terraform"), "#!/bin/sh\n[ \"$1\" = version ] && echo 'Terraform v1.5.7'\nexit 0\n")
	if err := os.Chmod(filepath.Join(bin, "terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"GITHUB_APP_ID":          "4242",
		"GITHUB_APP_PRIVATE_KEY": string(fake.PrivateKeyPEM()),
		"GITHUB_WEBHOOK_SECRET":  webhookSecret,
		"GITHUB_API_URL":         fake.URL(),
		"GANTRY_DATA_DIR":        sandboxtest.Reachable(t, t.TempDir()),
		"GANTRY_ADDR":            "127.0.0.1:0",
		"PATH":                   bin,
	}
}

func TestServeAnswersACommandEndToEnd(t *testing.T) {
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 9})
	fake.SetPermission("classla/lms", "alice", "read")
	vars := serverEnv(t, fake)
	s, err := config.LoadServer(nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, &env{stdout: io.Discard, stderr: logs, getenv: func(k string) string { return vars[k] }}, s, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server stopped at start: %v\n%s", err, logs)
	}
	base := "http://" + addr

	body := fixtures.Edit(t, fixtures.Webhook(t, "issue_comment.created.1"), map[string]any{
		"installation": map[string]any{"id": 99}, "repository.full_name": "classla/lms",
		"issue.number": 9, "issue.pull_request": map[string]any{"url": "x"},
		"comment.body": "/help", "comment.user.login": "alice", "sender.login": "alice",
	})
	req := fixtures.Request([]byte(webhookSecret), "issue_comment", "e2e-1", body)
	req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", addr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delivery answered %d, want 202", resp.StatusCode)
	}

	// The worker answers /help on the pull request (bounded wait, not a timing assertion).
	var comments []githubfake.Comment
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if comments = fake.Comments("classla/lms", 9); len(comments) > 0 {
			break
		}
	}
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "/rollback") || comments[0].User != fake.BotLogin() {
		t.Fatalf("comments %+v, want the App's /help reply\nlogs:\n%s", comments, logs)
	}

	// The job is recorded as finished just after its reply is posted.
	const finished = `gantry_jobs_finished_total{kind="command",outcome="succeeded"} 1`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(get(t, base+"/metrics"), finished) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("metrics never showed %s", finished)
			break
		}
	}

	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `gantry_webhook_deliveries_total{event="issue_comment",outcome="accepted"} 1`,
		"/":        "Nothing is queued or running.",
	} {
		got := get(t, base+path)
		if !strings.Contains(got, want) {
			t.Errorf("GET %s: %q does not contain %q", path, got, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after shutdown, want nil", err)
	}
	assertNoSecrets(t, logs.String(), fake)
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("logs do not show a clean stop:\n%s", logs)
	}
}

func get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// assertNoSecrets fails if the webhook secret, any line of the private key, or an
// installation token the App used appears in out.
func assertNoSecrets(t testing.TB, out string, fake *githubfake.Server) {
	t.Helper()
	secrets := []string{webhookSecret}
	for _, line := range strings.Split(string(fake.PrivateKeyPEM()), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	for _, r := range fake.Requests() {
		if a := r.Header.Get("Authorization"); a != "" {
			_, tok, _ := strings.Cut(a, " ")
			secrets = append(secrets, tok)
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("found only %d secrets to look for; the test would prove nothing", len(secrets))
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("output contains a secret (%.6s…)", s)
		}
	}
}

func TestServeRefusesIncompleteSettingsNamingEachOne(t *testing.T) {
	t.Parallel()
	code, _, errOut := gantry(t, map[string]string{"PATH": "/nonexistent", "GITHUB_APP_ID": "abc"}, "serve")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"GITHUB_WEBHOOK_SECRET", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not name %s", errOut, want)
		}
	}
}

func TestServeNeverEchoesABrokenKeyOrSecret(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	env := serverEnv(t, fake)
	// A key that is not PEM but looks like secret material, and the settings error output.
	env["GITHUB_APP_PRIVATE_KEY"] = "MIIEowIBAAKCAQEAsecretmaterialthatmustnotleak"
	code, out, errOut := gantry(t, env, "serve")
	if code != 2 || !strings.Contains(errOut, "GITHUB_APP_PRIVATE_KEY") {
		t.Fatalf("exit %d, %q: want 2 naming the key variable", code, errOut)
	}
	if strings.Contains(out+errOut, "secretmaterial") || strings.Contains(out+errOut, webhookSecret) {
		t.Errorf("output echoes secret material: %q", out+errOut)
	}
}

// reachableBinary is bin where the server's sandbox user can run it: a test run as root runs
// Terraform as that user, and the checkout holding bin/ may sit under a directory it cannot pass.
func reachableBinary(t testing.TB, bin string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return bin
	}
	return sandboxtest.Binary(t, sandboxtest.New(t), bin)
}
