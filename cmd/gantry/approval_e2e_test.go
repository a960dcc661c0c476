package main

import (
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
)

// approvalServer runs gantry for one project "production" that applies on merge once approved,
// with the roles of applyServer; bob is a writer, max a maintainer, eve has no access.
func approvalServer(t *testing.T, sts *awsfake.STS) *e2e {
	t.Helper()
	tokenFile := t.TempDir() + "/token"
	writeFile(t, tokenFile, webToken)
	e := startServerEnv(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", "    apply: {on: merge, requires: [approved]}\n"+productionAWS)
	}, map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL()})
	e.gh.SetPermission(e2eRepo, "max", "maintain")
	return e
}

func TestAnUnapprovedMergeWaitsForAMaintainerEndToEnd(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	e := approvalServer(t, sts)
	head, merged := strings.Repeat("a", 40), strings.Repeat("d", 40)
	e.commit(head, map[string]string{"terraform/production/main.tf": tfFiles(2)})
	e.commit(merged, map[string]string{"terraform/production/main.tf": tfFiles(2)})
	pr := githubfake.PR{Number: 7, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	e.pullRequest("opened", pr)
	e.projectComment(7, "production", contains("Plan: 2 to add"))

	// Only an account without access approves; alice merges anyway.
	e.gh.AddReview(e2eRepo, 7, "eve", "APPROVED")
	e.merge(pr, merged)
	e.applyComment(7, contains("is waiting", "`approved`", "`eve` has no access", "maintain or admin"))
	if run := e.checkRun("gantry/apply: production", merged, "neutral"); run.Conclusion != "neutral" {
		t.Errorf("apply check run %+v, want neutral", run)
	}
	if _, ok := e.s3.Object("tfstate", "production.tfstate"); ok {
		t.Fatal("state was written although the merge was not approved")
	}

	// The held apply has reported; /apply answers "running already" until its job has ended too.
	e.waitIdle()

	// A writer cannot release it; a maintainer can.
	e.comment(7, "bob", "/apply -p production")
	e.applyComment(7, contains("`bob` asked to apply it", "`bob` has `write`"))
	if _, ok := e.s3.Object("tfstate", "production.tfstate"); ok {
		t.Fatal("a writer's /apply applied an unapproved merge")
	}
	e.waitIdle()
	e.comment(7, "max", "/apply -p production")
	e.applyComment(7, contains("applied `ddddddd`", "Applied although `approved` did not hold: `max`", "Resources: 2 added"))
	if _, ok := e.s3.Object("tfstate", "production.tfstate"); !ok {
		t.Error("the maintainer's apply wrote no state")
	}
}

func TestAMergeApprovedByAWriterAppliesEndToEnd(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	e := approvalServer(t, sts)
	first, pushed, merged := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("e", 40)
	e.commit(first, map[string]string{"terraform/production/main.tf": tfFiles(1)})
	e.commit(pushed, map[string]string{"terraform/production/main.tf": tfFiles(3)})
	e.commit(merged, map[string]string{"terraform/production/main.tf": tfFiles(3)})
	pr := githubfake.PR{Number: 8, User: "alice", HeadSHA: first, Files: []string{"terraform/production/main.tf"}}
	e.pullRequest("opened", pr)
	e.projectComment(8, "production", contains("Plan: 1 to add"))
	// bob approves the first head, alice pushes more, and bob approves what she pushed: the
	// reviews of the head that is merged are the ones that count (see internal/flow's tests).
	e.gh.AddReview(e2eRepo, 8, "bob", "APPROVED")
	pr.HeadSHA = pushed
	e.pullRequest("synchronize", pr)
	e.projectComment(8, "production", contains("Plan: 3 to add", "`bbbbbbb`"))
	e.gh.AddReview(e2eRepo, 8, "bob", "APPROVED")
	e.merge(pr, merged)
	e.applyComment(8, contains("applied `eeeeeee`", "Resources: 3 added"))
	if run := e.checkRun("gantry/apply: production", merged, "success"); run.Conclusion != "success" {
		t.Errorf("apply check run %+v, want success", run)
	}
}
