package main

import (
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
)

// readersServer runs gantry for one project "production" applied with `/apply` (apply.on:
// comment) and nothing else required; alice and bob are writers, mallory a reader.
func readersServer(t *testing.T) *e2e {
	t.Helper()
	e := startServer(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", "    apply: {on: comment}\n")
	})
	e.gh.SetPermission(e2eRepo, "mallory", "read")
	return e
}

// cidrFiles is tfFiles(n) with a variable admin_cidr that a resource records.
func cidrFiles(n int) string {
	return tfFiles(n) + "\nvariable \"admin_cidr\" {\n  default = \"10.0.0.0/8\"\n}\n\n" +
		"resource \"terraform_data\" \"admin\" {\n  input = var.admin_cidr\n}\n"
}

// reply waits for a comment on pr that is not a project's plan or apply comment and says all of parts.
func (e *e2e) reply(pr int, parts ...string) string {
	e.t.Helper()
	var last []githubfake.Comment
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		last = e.gh.Comments(e2eRepo, pr)
		for _, c := range last {
			if !strings.HasPrefix(c.Body, "<!-- gantry:") && contains(parts...)(c.Body) {
				return c.Body
			}
		}
	}
	e.t.Fatalf("no reply on #%d saying %q; comments: %+v", pr, parts, last)
	return ""
}

func TestAReaderCannotApplyTheirArgumentsNorLockEndToEnd(t *testing.T) {
	t.Parallel()
	e := readersServer(t)
	head := strings.Repeat("a", 40)
	e.commit(head, map[string]string{"terraform/production/main.tf": cidrFiles(2),
		"terraform/shared.tfvars": "admin_cidr = \"10.42.0.0/16\"\n"})
	pr := githubfake.PR{Number: 7, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	e.pullRequest("opened", pr)
	e.projectComment(7, "production", contains("Plan: 3 to add"))

	// A var-file elsewhere in the repository is read; one above it is refused.
	e.comment(7, "alice", "/plan -p production -- -var-file=../shared.tfvars")
	e.projectComment(7, "production", contains("10.42.0.0/16"))
	e.comment(7, "alice", "/plan -p production -- -var-file=../../../etc/passwd")
	e.reply(7, "`../../../etc/passwd` leaves the repository")

	e.comment(7, "alice", "/apply")
	e.applyComment(7, contains("applied `aaaaaaa`", "Resources: 3 added"))

	// A reader plans the destruction of it all, with arguments of their own.
	e.comment(7, "mallory", "/plan -p production -- -destroy -var=admin_cidr=0.0.0.0/0 -lock=false")
	e.projectComment(7, "production", contains("3 to destroy", "This plan can never be applied"))
	// A writer's /apply does not apply it.
	e.comment(7, "bob", "/apply")
	e.reply(7, "may not apply")
	if state, ok := e.s3.Object("tfstate", "production.tfstate"); !ok || !strings.Contains(string(state), `"task-1"`) ||
		!strings.Contains(string(state), "10.42.0.0/16") {
		t.Fatalf("the state lost its resources after a writer's /apply following a reader's destroy plan (found %v)", ok)
	}

	// A reader cannot take the project with a plan on another, stale pull request: #7 keeps it.
	e.pullRequest("opened", githubfake.PR{Number: 8, User: "bob", HeadSHA: head, Draft: true})
	e.comment(8, "mallory", "/plan -p production")
	e.reply(8, "`production` is locked by #7, so it was not planned")
	e.waitStatusPage(contains("#7 (alice)"))
}
