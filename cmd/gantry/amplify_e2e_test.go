package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
)

const (
	frontendRole = "arn:aws:iam::111111111111:role/gantry-deploy-frontend"
	amplifyApp   = "d1a2b3c4d5e6f7"
)

// frontendService is the .gantry.yaml services block of the Amplify frontend.
const frontendService = "services:\n  - name: frontend\n    after: [production]\n    when_modified: [\"frontend/**\"]\n" +
	"    amplify: {app_id: " + amplifyApp + ", branch: main}\n" +
	"    aws: {role_arn: " + frontendRole + ", region: us-east-1}\n"

// A frontend on Amplify: a merge releases the merge commit through Amplify, a release that fails
// is reported with its step, and /rollback releases the earlier commit again.
func TestAnAmplifyFrontendIsReleasedFailsAndIsRolledBack(t *testing.T) {
	t.Parallel()
	amp := awsfake.NewAmplify(t)
	amp.AddBranch(amplifyApp, "main")
	sts := awsfake.NewSTS(t)
	sts.AllowRole(productionPlanRole, webToken)
	sts.AllowRole(productionRole, webToken)
	sts.AllowRole(frontendRole, webToken)
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, webToken)
	e := startServerEnv(t, "GANTRY_TERRAFORM_BIN", func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS) + frontendService
	}, map[string]string{
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": sts.URL(),
		"AWS_ENDPOINT_URL_AMPLIFY": amp.URL(), "GANTRY_ECS_POLL_INTERVAL": "5ms",
	})
	files := map[string]string{"terraform/production/main.tf": tfFiles(1), "frontend/index.html": "<h1>hi</h1>\n"}

	// The first merge releases its commit.
	amp.Script(amplifyApp, "main", awsfake.JobScript{SucceedAfter: 2})
	head1, merged1 := strings.Repeat("a", 40), strings.Repeat("b", 40)
	e.commit(head1, files)
	e.commit(merged1, files)
	pr1 := githubfake.PR{Number: 21, User: "alice", HeadSHA: head1, Files: []string{"terraform/production/main.tf", "frontend/index.html"}}
	e.pullRequest("opened", pr1)
	e.projectComment(21, "production", contains("Plan: 1 to add"))
	e.merge(pr1, merged1)
	body := e.reply(21, "`frontend` deployed `bbbbbbb`")
	if !strings.Contains(body, "Amplify job") || !strings.Contains(body, "started by gantry") {
		t.Errorf("the report does not name the Amplify job:\n%s", body)
	}
	started := amp.Started()
	if len(started) != 1 || started[0].JobType != "RELEASE" || started[0].CommitID != merged1 {
		t.Fatalf("Amplify started %+v, want one RELEASE of %s", started, merged1)
	}

	// The second merge's release fails in its build step.
	amp.Script(amplifyApp, "main", awsfake.JobScript{FailAfter: 1, FailedStep: "BUILD", StatusReason: "npm run build exited 1"})
	head2, merged2 := strings.Repeat("c", 40), strings.Repeat("d", 40)
	e.commit(head2, files)
	e.commit(merged2, files)
	pr2 := githubfake.PR{Number: 22, User: "alice", HeadSHA: head2, Files: []string{"frontend/index.html"}}
	e.pullRequest("opened", pr2)
	e.merge(pr2, merged2)
	body = e.reply(22, "`frontend` deployment of `ddddddd` failed")
	if !strings.Contains(body, "BUILD") || !strings.Contains(body, "npm run build exited 1") {
		t.Errorf("the failure does not name the step and its reason:\n%s", body)
	}

	// A third merge succeeds; /rollback then releases the first merge's commit again.
	amp.Script(amplifyApp, "main", awsfake.JobScript{SucceedAfter: 1})
	head3, merged3 := strings.Repeat("e", 40), strings.Repeat("f", 40)
	e.commit(head3, files)
	e.commit(merged3, files)
	pr3 := githubfake.PR{Number: 23, User: "alice", HeadSHA: head3, Files: []string{"frontend/index.html"}}
	e.pullRequest("opened", pr3)
	e.merge(pr3, merged3)
	e.reply(23, "`frontend` deployed `fffffff`")
	e.waitIdle()
	e.comment(23, "alice", "/rollback frontend")
	e.reply(23, "`frontend` rolled back to `bbbbbbb`")
	started = amp.Started()
	if last := started[len(started)-1]; last.JobType != "RELEASE" || last.CommitID != merged1 {
		t.Errorf("the rollback started %+v, want a RELEASE of %s", last, merged1)
	}
	e.waitIdle()
	// GitHub shows each release, the failure and the rollback as frontend's deployments.
	var states []string
	for _, d := range frontendDeployments(e) {
		states = append(states, d.SHA[:1]+":"+string(d.State))
	}
	if got := strings.Join(states, " "); got != "b:success f:success d:failure b:success" {
		t.Errorf("ledger (newest first) %s", got)
	}
}

// frontendDeployments are the GitHub Deployments of frontend, newest first, each with its last status.
func frontendDeployments(e *e2e) []store.Deployment {
	var out []store.Deployment
	for _, d := range e.gh.Deployments(e2eRepo) {
		if d.Environment != "frontend" {
			continue
		}
		state := store.DeploymentState("")
		for _, s := range e.gh.DeploymentStatuses(d.ID) {
			state = store.DeploymentState(s.State)
		}
		out = append([]store.Deployment{{SHA: d.SHA, State: state}}, out...)
	}
	return out
}
