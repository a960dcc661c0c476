package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	gantryconfig "github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
)

// These tests run the whole server — webhook, worker pool, GitHub App client, work
// directories and the real Terraform (and OpenTofu) binary with its S3 backend on an
// in-process S3 — against fixture repositories served by the fake GitHub.

const e2eRepo = "classla/lms"

// tfFiles is a Terraform project of n built-in resources with its state in S3.
func tfFiles(n int) string {
	var b strings.Builder
	b.WriteString("terraform {\n  backend \"s3\" {}\n}\n\n")
	fmt.Fprintf(&b, "resource \"terraform_data\" \"task\" {\n  count = %d\n  input = \"task-${count.index}\"\n}\n\n", n)
	b.WriteString("output \"tasks\" {\n  value = length(terraform_data.task)\n}\n")
	return b.String()
}

// e2e is one running server with its fakes.
type e2e struct {
	t    testing.TB
	gh   *githubfake.Server
	s3   *s3fake.Server
	base string
	n    int
	logs *syncBuffer
}

func startE2E(t *testing.T, binEnv string) *e2e {
	t.Helper()
	return startServer(t, binEnv, func(s3 *s3fake.Server, flavor string) string {
		cfg := "version: 1\nprojects:\n"
		for _, p := range []string{"production", "staging", "broken"} {
			cfg += fmt.Sprintf("  - name: %s\n    dir: terraform/%s\n    backend_config:\n", p, p)
			// Until AWS roles are assumed for projects, the backend's credentials come from its configuration.
			backend := s3.BackendConfig(flavor, "tfstate", p+".tfstate")
			backend["access_key"], backend["secret_key"] = s3fake.AccessKeyID, s3fake.SecretAccessKey
			for k, v := range backend {
				cfg += fmt.Sprintf("      %s: %q\n", k, v)
			}
		}
		return cfg
	})
}

// startServer runs gantry serve with the binary named by binEnv, against a fake GitHub whose
// repository has the .gantry.yaml that config returns.
func startServer(t testing.TB, binEnv string, config func(s3 *s3fake.Server, flavor string) string) *e2e {
	t.Helper()
	return startServerEnv(t, binEnv, config, nil)
}

// startServerEnv is startServer with more variables in the server's environment.
func startServerEnv(t testing.TB, binEnv string, config func(s3 *s3fake.Server, flavor string) string, extra map[string]string) *e2e {
	t.Helper()
	return startServerWith(t, binEnv, config, extra, nil)
}

// startServerWith is startServerEnv that lets before see the fake GitHub before the server starts
// (to write the App's key to a file, say).
func startServerWith(t testing.TB, binEnv string, config func(s3 *s3fake.Server, flavor string) string, extra map[string]string,
	before func(*githubfake.Server)) *e2e {
	t.Helper()
	bin := os.Getenv(binEnv)
	if bin == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which builds the binary into bin/", binEnv)
	}
	flavor := "terraform"
	if binEnv == "GANTRY_TOFU_BIN" {
		flavor = "tofu"
	}
	s3 := s3fake.New(t)
	s3.Bucket("tfstate")
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.SetPermission(e2eRepo, "alice", "write")
	fake.SetPermission(e2eRepo, "bob", "write")

	cfg := config(s3, flavor)
	if _, err := gantryconfig.Parse([]byte(cfg)); err != nil {
		t.Fatalf("the test's .gantry.yaml is invalid: %v\n%s", err, cfg)
	}
	fake.SetFile(e2eRepo, "main", ".gantry.yaml", cfg)

	vars := serverEnv(t, fake)
	vars["GANTRY_TERRAFORM_BIN"] = reachableBinary(t, bin)
	for k, v := range extra {
		vars[k] = v
	}
	if before != nil {
		before(fake)
	}
	s, err := gantryconfig.LoadServer(nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	getenv := func(k string) string { return vars[k] }
	go func() { done <- serve(ctx, &env{stdout: io.Discard, stderr: logs, getenv: getenv}, s, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", logs)
		}
		assertNoSecrets(t, logs.String(), fake)
	})
	select {
	case addr := <-ready:
		return &e2e{t: t, gh: fake, s3: s3, base: "http://" + addr, logs: logs}
	case err := <-done:
		done <- nil // for the cleanup, which waits for the server to stop
		t.Fatalf("server stopped at start: %v\n%s", err, logs)
	}
	return nil
}

// commit makes the fake GitHub serve a commit of the repository with these files.
func (e *e2e) commit(sha string, files map[string]string) {
	e.gh.SetTarball(e2eRepo, sha, files)
}

// deliver sends a signed delivery to the server and expects 202.
func (e *e2e) deliver(event string, body []byte) {
	e.t.Helper()
	e.n++
	req := fixtures.Request([]byte(webhookSecret), event, fmt.Sprintf("e2e-%d", e.n), body)
	req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", strings.TrimPrefix(e.base, "http://")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		e.t.Fatalf("%s delivery answered %d, want 202", event, resp.StatusCode)
	}
}

func (e *e2e) pullRequest(action string, pr githubfake.PR) {
	e.t.Helper()
	e.gh.AddPullRequest(e2eRepo, pr)
	body := fixtures.Edit(e.t, fixtures.Webhook(e.t, "pull_request.opened.2"), map[string]any{
		"action": action, "number": pr.Number, "installation": map[string]any{"id": 77},
		"pull_request.number": pr.Number, "pull_request.head.sha": pr.HeadSHA, "pull_request.user.login": pr.User,
		"pull_request.state":               map[bool]string{true: "closed", false: "open"}[action == "closed"],
		"pull_request.head.repo.full_name": e2eRepo, "repository.full_name": e2eRepo,
		"repository.default_branch": "main", "sender.login": pr.User,
	})
	e.deliver("pull_request", body)
}

func (e *e2e) comment(pr int, user, text string) {
	e.t.Helper()
	body := fixtures.Edit(e.t, fixtures.Webhook(e.t, "issue_comment.created.1"), map[string]any{
		"installation": map[string]any{"id": 77}, "repository.full_name": e2eRepo,
		"issue.number": pr, "issue.pull_request": map[string]any{"url": "x"},
		"comment.body": text, "comment.user.login": user, "sender.login": user,
	})
	e.deliver("issue_comment", body)
}

// projectComment waits until the project's comment on pr satisfies ok and returns it.
func (e *e2e) projectComment(pr int, project string, ok func(body string) bool) string {
	e.t.Helper()
	marker := "<!-- gantry:project=" + project + " -->"
	var last []githubfake.Comment
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		last = e.gh.Comments(e2eRepo, pr)
		var mine []string
		for _, c := range last {
			if strings.HasPrefix(c.Body, marker) {
				mine = append(mine, c.Body)
			}
		}
		if len(mine) > 1 {
			e.t.Fatalf("%d comments for %s on #%d, want one edited in place", len(mine), project, pr)
		}
		if len(mine) == 1 && ok(mine[0]) {
			return mine[0]
		}
	}
	e.t.Fatalf("no comment for %s on #%d as expected; comments: %+v", project, pr, last)
	return ""
}

// checkRun waits until the newest check run of name on sha has the conclusion, and returns it
// (as it last was, if it never gets there).
func (e *e2e) checkRun(name, sha, conclusion string) githubfake.CheckRun {
	e.t.Helper()
	var found githubfake.CheckRun
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range e.gh.CheckRuns(e2eRepo) {
			if c.Name == name && c.HeadSHA == sha {
				found = c
			}
		}
		if found.Status == "completed" && found.Conclusion == conclusion {
			break
		}
	}
	return found
}

// waitStatusPage waits until the status page satisfies ok (it lists the locks).
func (e *e2e) waitStatusPage(ok func(page string) bool) {
	e.t.Helper()
	var page string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if page = get(e.t, e.base+"/"); ok(page) {
			return
		}
	}
	e.t.Fatalf("the status page never got there:\n%s", page)
}

// waitIdle waits until no job is queued or running, as the status page lists them.
func (e *e2e) waitIdle() {
	e.t.Helper()
	e.waitStatusPage(func(page string) bool { return strings.Contains(page, "Nothing is queued or running.") })
}

func contains(parts ...string) func(string) bool {
	return func(body string) bool {
		for _, p := range parts {
			if !strings.Contains(body, p) {
				return false
			}
		}
		return true
	}
}

func TestPlansOnPullRequestsEndToEnd(t *testing.T) {
	for _, bin := range []string{"GANTRY_TERRAFORM_BIN", "GANTRY_TOFU_BIN"} {
		t.Run(bin, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, bin)
			shaA, shaB := strings.Repeat("a", 40), strings.Repeat("b", 40)
			e.commit(shaA, map[string]string{"terraform/production/main.tf": tfFiles(3),
				"terraform/staging/main.tf": tfFiles(1)})
			e.commit(shaB, map[string]string{"terraform/production/main.tf": tfFiles(4), "terraform/staging/main.tf": tfFiles(1)})

			// Opening the pull request plans the project its files touch.
			e.pullRequest("opened", githubfake.PR{Number: 7, User: "alice", HeadSHA: shaA, Files: []string{"terraform/production/main.tf"}})
			body := e.projectComment(7, "production", contains("Plan: 3 to add, 0 to change, 0 to destroy."))
			tool := map[string]string{"GANTRY_TERRAFORM_BIN": "Terraform 1.5.7", "GANTRY_TOFU_BIN": "OpenTofu 1.10.6"}[bin]
			for _, want := range []string{"`terraform/production`", "`aaaaaaa`", tool, "terraform_data.task[2]", "```diff"} {
				if !strings.Contains(body, want) {
					t.Errorf("plan comment lacks %q:\n%s", want, body)
				}
			}
			if c := e.checkRun("gantry/plan: production", shaA, "success"); c.Status != "completed" || c.Conclusion != "success" {
				t.Errorf("check run %+v, want completed success", c)
			}
			if got := e.gh.Comments(e2eRepo, 7); len(got) != 1 {
				t.Errorf("%d comments, want only production's (staging is not affected)", len(got))
			}

			// A push re-plans and edits the same comment.
			e.pullRequest("synchronize", githubfake.PR{Number: 7, User: "alice", HeadSHA: shaB, Files: []string{"terraform/production/main.tf"}})
			e.projectComment(7, "production", contains("Plan: 4 to add", "`bbbbbbb`"))

			// /plan -p plans a project the files do not touch.
			e.comment(7, "alice", "/plan -p staging")
			e.projectComment(7, "staging", contains("Plan: 1 to add"))

			// A second pull request on the locked project is told who holds it.
			e.pullRequest("opened", githubfake.PR{Number: 8, User: "bob", HeadSHA: shaA, Files: []string{"terraform/production/main.tf"}})
			e.projectComment(8, "production", contains("locked by #7"))
			if c := e.checkRun("gantry/plan: production", shaA, "failure"); c.Conclusion != "failure" {
				t.Errorf("blocked plan's check run %+v, want failure", c)
			}

			// Closing the first releases the lock: the second can plan.
			e.pullRequest("closed", githubfake.PR{Number: 7, User: "alice", HeadSHA: shaB, State: "closed"})
			e.waitStatusPage(func(page string) bool { return !strings.Contains(page, "#7 (alice)") })
			e.comment(8, "bob", "/plan")
			e.projectComment(8, "production", contains("Plan: 3 to add"))
		})
	}
}

func TestAFailingPlanShowsTerraformsError(t *testing.T) {
	for _, bin := range []string{"GANTRY_TERRAFORM_BIN", "GANTRY_TOFU_BIN"} {
		t.Run(bin, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, bin)
			sha := strings.Repeat("c", 40)
			e.commit(sha, map[string]string{"terraform/broken/main.tf": tfFiles(1) + "\nresource \"terraform_data\" {\n"})
			e.pullRequest("opened", githubfake.PR{Number: 3, User: "alice", HeadSHA: sha, Files: []string{"terraform/broken/main.tf"}})
			body := e.projectComment(3, "broken", contains("Error"))
			if !strings.Contains(body, "main.tf") {
				t.Errorf("failure comment does not point at the file:\n%s", body)
			}
			if c := e.checkRun("gantry/plan: broken", sha, "failure"); c.Conclusion != "failure" || !strings.Contains(c.Title+c.Summary, "rror") {
				t.Errorf("check run %+v, want failure showing the error", c)
			}
		})
	}
}
