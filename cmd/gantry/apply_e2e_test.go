package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

const (
	productionPlanRole = "arn:aws:iam::111111111111:role/gantry-plan-production"
	productionRole     = "arn:aws:iam::111111111111:role/gantry-terraform-production"
	webToken           = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmNsYXNzbGEvbG1zOnJlZjpyZWZzL2hlYWRzL21haW4ifQ.c2lnbmF0dXJl"
)

// productionAWS is the aws block of the project "production": the read-only role for plans of
// pull requests, the apply role for the merge-time plan and the apply.
const productionAWS = "    aws: {plan_role_arn: " + productionPlanRole + ", role_arn: " + productionRole + ", region: us-east-1}\n"

// s3Project is a .gantry.yaml with one project NAME in terraform/NAME, whose state is NAME.tfstate
// in the S3 fake; fields are more of the project's keys, each line indented by four spaces.
func s3Project(s3 *s3fake.Server, flavor, name, fields string) string {
	cfg := "version: 1\nprojects:\n  - name: " + name + "\n    dir: terraform/" + name + "\n" + fields + "    backend_config:\n"
	backend := s3.BackendConfig(flavor, "tfstate", name+".tfstate")
	// The fake S3 knows only its own keys; the assumed role's reach Terraform through its environment.
	backend["access_key"], backend["secret_key"] = s3fake.AccessKeyID, s3fake.SecretAccessKey
	for _, k := range slices.Sorted(maps.Keys(backend)) {
		cfg += fmt.Sprintf("      %s: %q\n", k, backend[k])
	}
	return cfg
}

// applyServer runs gantry with a web identity token file and the STS fake, for one project
// "production" with those roles, its state in the S3 fake.
func applyServer(t *testing.T, sts *awsfake.STS) *e2e {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, webToken)
	return startServerEnv(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS)
	}, map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL()})
}

// probe is a project of n resources and one whose local-exec provisioner writes the
// environment Terraform ran with to envFile.
func probe(n int, envFile string) string {
	return tfFiles(n) + fmt.Sprintf("\nresource \"terraform_data\" \"probe\" {\n  provisioner \"local-exec\" {\n    command = \"env > %s\"\n  }\n}\n", envFile)
}

func (e *e2e) merge(pr githubfake.PR, mergeSHA string) {
	e.t.Helper()
	pr.State, pr.Merged, pr.MergeCommitSHA = "closed", true, mergeSHA
	e.gh.AddPullRequest(e2eRepo, pr)
	body := fixtures.Edit(e.t, fixtures.Webhook(e.t, "pull_request.closed.1"), map[string]any{
		"number": pr.Number, "installation": map[string]any{"id": 77}, "pull_request.number": pr.Number,
		"pull_request.merged": true, "pull_request.merge_commit_sha": mergeSHA, "pull_request.base.ref": "main",
		"pull_request.head.repo.full_name": e2eRepo, "repository.full_name": e2eRepo, "repository.default_branch": "main",
		"sender.login": pr.User,
	})
	e.deliver("pull_request", body)
}

// applyComment waits until the project's apply comment on pr satisfies ok.
func (e *e2e) applyComment(pr int, ok func(string) bool) string {
	e.t.Helper()
	var last []githubfake.Comment
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		last = e.gh.Comments(e2eRepo, pr)
		for _, c := range last {
			if strings.HasPrefix(c.Body, "<!-- gantry:apply=production -->") && ok(c.Body) {
				return c.Body
			}
		}
	}
	e.t.Fatalf("no apply comment as expected on #%d; comments: %+v", pr, last)
	return ""
}

func TestAMergeAppliesWithTheAssumedRoleEndToEnd(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	e := applyServer(t, sts)
	envFile := filepath.Join(sandboxtest.Shared(t), "env.txt") // Terraform runs as the sandbox user
	head, merged := strings.Repeat("a", 40), strings.Repeat("d", 40)
	e.commit(head, map[string]string{"terraform/production/main.tf": probe(2, envFile)})
	e.commit(merged, map[string]string{"terraform/production/main.tf": probe(2, envFile)})

	pr := githubfake.PR{Number: 7, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	e.pullRequest("opened", pr)
	e.projectComment(7, "production", contains("Plan: 3 to add"))
	e.merge(pr, merged)
	body := e.applyComment(7, contains("applied `ddddddd`"))
	if !strings.Contains(body, "Apply complete! Resources: 3 added") {
		t.Errorf("apply comment:\n%s", body)
	}

	// The state object is in the bucket, with the resources.
	state, ok := e.s3.Object("tfstate", "production.tfstate")
	if !ok || !strings.Contains(string(state), `"task-1"`) {
		t.Errorf("state object missing or without the resources (found %v)", ok)
	}
	// STS was asked for the plan role for the pull request's plan, then for the apply role for
	// the merge's plan and apply, each in a session named after the repository, PR and project.
	issued := sts.Issued()
	var roles []string
	for _, c := range issued {
		roles = append(roles, c.RoleARN)
		if c.SessionName != "gantry-lms-pr7-production" || c.Token != webToken {
			t.Errorf("STS got role %s session %s token %.10s…", c.RoleARN, c.SessionName, c.Token)
		}
	}
	if want := []string{productionPlanRole, productionRole}; fmt.Sprint(roles) != fmt.Sprint(want) {
		t.Fatalf("STS issued credentials for %v, want %v: the plan role for the pull request, the apply role for the merge", roles, want)
	}
	// Terraform ran with the assumed role's credentials and nothing of the server's secrets.
	env, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatalf("the provisioner wrote no environment: %v", err)
	}
	last := issued[len(issued)-1]
	for _, want := range []string{"AWS_ACCESS_KEY_ID=" + last.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + last.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + last.SessionToken, "AWS_REGION=us-east-1"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("Terraform's environment lacks %s", strings.SplitN(want, "=", 2)[0])
		}
	}
	for _, leak := range []string{webhookSecret, "GITHUB_APP_PRIVATE_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE", webToken, "GANTRY_"} {
		if strings.Contains(string(env), leak) {
			t.Errorf("Terraform's environment contains %q", leak)
		}
	}
	// The deployment's last status follows the comment.
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = fmt.Sprint(deploymentStates(e)); got == "[production:in_progress production:success]" {
			break
		}
	}
	if got != "[production:in_progress production:success]" {
		t.Errorf("deployment statuses %s", got)
	}
	e.waitStatusPage(func(page string) bool { return strings.Contains(page, "No project is locked.") })
}

func deploymentStates(e *e2e) []string {
	var states []string
	for _, d := range e.gh.Deployments(e2eRepo) {
		for _, s := range e.gh.DeploymentStatuses(d.ID) {
			states = append(states, d.Environment+":"+s.State)
		}
	}
	return states
}

func TestTheDriftGuardHoldsAMovedBaseUntilConfirmed(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	e := applyServer(t, sts)
	head, merged := strings.Repeat("a", 40), strings.Repeat("e", 40)
	// The pull request adds 3 resources; by the time it merges, the base branch added a fourth.
	e.commit(head, map[string]string{"terraform/production/main.tf": tfFiles(3)})
	e.commit(merged, map[string]string{"terraform/production/main.tf": tfFiles(4)})
	pr := githubfake.PR{Number: 8, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	e.pullRequest("opened", pr)
	e.projectComment(8, "production", contains("Plan: 3 to add"))
	e.merge(pr, merged)
	body := e.applyComment(8, contains("is waiting"))
	for _, want := range []string{"differs from the plan shown", "`terraform_data.task[3]`", "/apply -p production --confirm-drift"} {
		if !strings.Contains(body, want) {
			t.Errorf("held comment lacks %q:\n%s", want, body)
		}
	}
	if _, ok := e.s3.Object("tfstate", "production.tfstate"); ok {
		t.Fatal("state was written although the apply was held")
	}
	e.waitIdle() // the held apply's job has ended, not only reported
	e.comment(8, "alice", "/apply -p production --confirm-drift")
	e.applyComment(8, contains("applied `eeeeeee`", "Resources: 4 added"))
	if state, ok := e.s3.Object("tfstate", "production.tfstate"); !ok || !strings.Contains(string(state), `"task-3"`) {
		t.Error("the confirmed apply did not write the merge commit's four resources")
	}
}

func TestARejectedTokenIsExplainedOnThePullRequest(t *testing.T) {
	t.Parallel()
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, "another-token")
	e := applyServer(t, sts)
	head := strings.Repeat("a", 40)
	e.commit(head, map[string]string{"terraform/production/main.tf": tfFiles(1)})
	e.pullRequest("opened", githubfake.PR{Number: 9, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}})
	body := e.projectComment(9, "production", contains("InvalidIdentityToken"))
	for _, want := range []string{productionPlanRole, "sts.amazonaws.com", "repo:"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refusal does not mention %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, webToken[:20]) {
		t.Error("the comment shows the token")
	}
}
