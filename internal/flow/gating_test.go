package flow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// unorderedServiceConfig has a service that lists no project in `after`.
const unorderedServiceConfig = validConfig + `services:
  - name: backend
    when_modified: ["backend/**", "terraform/envs/**"]
    build: {context: backend}
    ecr_repository: classla-backend
    ecs: {cluster: classla-production, service: classla-backend, container: backend}
    aws: {role_arn: "arn:aws:iam::111111111111:role/gantry-deploy-backend", region: us-east-1}
`

// heldComment is the comment on pull request 2 saying backend was not deployed, or "".
func heldComment(w *world) string {
	for _, c := range w.gh.Comments(repo, 2) {
		if strings.Contains(c.Body, "`backend` was not deployed") {
			return c.Body
		}
	}
	return ""
}

func TestAServiceWithoutAfterIsNotDeployedWhileTheMergesApplyIsHeld(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper, w.deps.Credentials = ship, fakeCredentials{}
	planned(t, w, "fast", "nat") // the merge-time plan drifts: the apply is held for --confirm-drift
	w.gh.SetFile(repo, "main", ".gantry.yaml", unorderedServiceConfig)
	jobs := w.deliver(t, "pull_request", merged(t))
	if len(ship.calls) != 0 {
		t.Fatal("backend was deployed although the merge's apply of production is held")
	}
	if last := jobs[len(jobs)-1]; last.Kind != flow.KindDeploy || last.State != store.Succeeded {
		t.Errorf("the last job %s, want the deployment, ended without deploying", jobList(jobs[len(jobs)-1:]))
	}
	body := heldComment(w)
	for _, want := range []string{"`production`", "differs from the plan shown", "`/apply -p production --confirm-drift`",
		"queued again as soon as it is applied"} {
		if !strings.Contains(body, want) {
			t.Errorf("the pull request was not told %q; comment:\n%s", want, body)
		}
	}
}

// failingStaging applies production and fails staging's apply.
type failingStaging struct{ fakeTerraform }

func (f *failingStaging) Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	if strings.HasSuffix(req.Dir, "staging") {
		return &terraform.ApplyResult{Log: "Error: creating NAT Gateway: UnauthorizedOperation\n"},
			errors.New("terraform apply: exit status 1")
	}
	return f.fakeTerraform.Apply(ctx, req)
}

func TestAServiceIsNotDeployedWhenAnApplyItDoesNotListFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper, w.deps.Credentials = ship, fakeCredentials{}
	w.deps.Terraform = &failingStaging{}
	planned(t, w, "fast", "fast")
	files := []string{"terraform/envs/production/main.tf", "terraform/envs/staging/main.tf"}
	w.gh.AddPullRequest(repo, prMergedWith(files))
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": "fast", "terraform/envs/staging/main.tf": "fast"})
	// backend comes after production, which applies; staging, which fails, it does not list.
	w.gh.SetFile(repo, "main", ".gantry.yaml", serviceConfig)
	w.deliver(t, "pull_request", merged(t))
	if len(ship.calls) != 0 {
		t.Fatal("backend was deployed although the merge's apply of staging failed")
	}
	body := heldComment(w)
	if !strings.Contains(body, "`staging`: its apply failed; `/apply -p staging` tries again") || strings.Contains(body, "`production`:") {
		t.Errorf("the comment does not name the failed apply (and only it):\n%s", body)
	}
}

func TestAServiceDeploysWhenEveryApplyOfTheMergeSucceeds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper, w.deps.Credentials = ship, fakeCredentials{}
	planned(t, w, "fast", "fast")
	w.gh.SetFile(repo, "main", ".gantry.yaml", unorderedServiceConfig)
	jobs := w.deliver(t, "pull_request", merged(t))
	var kinds []string
	for _, j := range jobs {
		kinds = append(kinds, j.Kind)
	}
	if fmt.Sprint(kinds) != "[pull_request_closed apply deploy]" || len(ship.calls) != 1 {
		t.Errorf("jobs %v and %d deployments, want the apply, then one deployment", kinds, len(ship.calls))
	}
	if body := heldComment(w); body != "" {
		t.Errorf("a held comment although every apply succeeded:\n%s", body)
	}
}

// directPush is a push of after to main, listing commits (each changing its files).
func directPush(t *testing.T, before, after string, commits map[string][]string, order []string) []byte {
	var list []any
	for _, id := range order {
		modified := []any{}
		for _, f := range commits[id] {
			modified = append(modified, f)
		}
		list = append(list, map[string]any{"id": id, "distinct": true, "added": []any{}, "removed": []any{}, "modified": modified})
	}
	return fixtures.Edit(t, fixtures.Webhook(t, "push.event.2"), map[string]any{
		"installation": map[string]any{"id": 7}, "ref": "refs/heads/main", "before": before, "after": after,
		"created": false, "deleted": false, "repository.default_branch": "main", "repository.full_name": repo,
		"commits": list,
	})
}

func TestADirectPushWithABrokenConfigurationFailsACheckRunOnTheCommit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.SetFile(repo, "main", ".gantry.yaml", "version: 1\nprojects:\n  - name: production\n    dir: terraform/envs/production\n    apply: {on: sometimes}\n    bogus: true\n")
	w.gh.SetCommit(repo, mergeSHA, []string{".gantry.yaml"}, nil)
	commits := map[string][]string{mergeSHA: {".gantry.yaml"}}
	jobs := w.deliver(t, "push", directPush(t, fixtureHead, mergeSHA, commits, []string{mergeSHA}))
	if len(jobs) != 1 || jobs[0].State != store.Succeeded {
		t.Fatalf("jobs %s, want the push job, succeeded", jobList(jobs))
	}
	var check *struct{ conclusion, title, summary string }
	for _, c := range w.gh.CheckRuns(repo) {
		if c.Name == "gantry/config" && c.HeadSHA == mergeSHA {
			check = &struct{ conclusion, title, summary string }{c.Conclusion, c.Title, c.Summary}
		}
	}
	if check == nil {
		t.Fatalf("no check run gantry/config on the pushed commit; check runs %+v", w.gh.CheckRuns(repo))
	}
	if check.conclusion != "failure" || !strings.Contains(check.title, "2 problems") {
		t.Errorf("check run %q: %q, want a failure counting 2 problems", check.conclusion, check.title)
	}
	for _, want := range []string{".gantry.yaml:5:", "apply.on", ".gantry.yaml:6:", "bogus", "push again"} {
		if !strings.Contains(check.summary, want) {
			t.Errorf("check run summary lacks %q:\n%s", want, check.summary)
		}
	}
	for _, r := range w.gh.Requests() {
		if strings.Contains(r.Path, "/issues/0/") {
			t.Errorf("gantry called %s %s: there is no pull request #0", r.Method, r.Path)
		}
	}
}

func TestADirectPushOfManyCommitsMissesNoProject(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	before := strings.Repeat("b", 40)
	// 25 commits: the first changes production; the webhook lists only the last 20, which change the backend.
	commits := map[string][]string{}
	var order []string
	for i := range 25 {
		sha := fmt.Sprintf("%040x", i+1)
		commits[sha] = []string{fmt.Sprintf("backend/src/f%02d.ts", i)}
		if i == 0 {
			commits[sha] = []string{"terraform/envs/production/main.tf"}
		}
		w.gh.SetCommit(repo, sha, commits[sha], nil)
		order = append(order, sha)
	}
	after := order[len(order)-1]
	w.gh.SetCompareCommits(repo, before, after, order)
	w.gh.SetTarball(repo, after, map[string]string{"terraform/envs/production/main.tf": "fast"})
	jobs := w.deliver(t, "push", directPush(t, before, after, commits, order[5:]))
	if len(jobs) != 2 || jobs[1].Kind != flow.KindApply || jobs[1].State != store.Succeeded || len(tf.applied) != 1 {
		t.Fatalf("jobs %s, %d applies: want the push and production's apply", jobList(jobs), len(tf.applied))
	}
}

// prMergedWith is pull request 2, merged at mergeSHA, changing files.
func prMergedWith(files []string) githubfake.PR {
	return githubfake.PR{Number: 2, HeadSHA: fixtureHead, State: "closed", Merged: true, MergeCommitSHA: mergeSHA, Files: files}
}

// jobList shows jobs as kind:state, with the error of a failed one.
func jobList(jobs []store.Job) string {
	var out []string
	for _, j := range jobs {
		s := j.Kind + ":" + string(j.State)
		if j.Error != "" {
			s += " (" + j.Error + ")"
		}
		out = append(out, s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// A deployment whose commit still has an apply running does not wait in a worker: it is queued
// again behind that apply (sharing its mutex), is not claimable until the apply ends, and then
// deploys once.
func TestADeploymentIsQueuedBehindAnApplyStillRunningInsteadOfWaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper, w.deps.Credentials = ship, fakeCredentials{}
	planned(t, w, "fast", "fast")
	files := []string{"terraform/envs/production/main.tf", "terraform/envs/staging/main.tf"}
	w.gh.AddPullRequest(repo, prMergedWith(files))
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": "fast", "terraform/envs/staging/main.tf": "fast"})
	// backend comes after production; staging it does not list, but it must apply first too.
	w.gh.SetFile(repo, "main", ".gantry.yaml", serviceConfig)
	ctx := context.Background()
	routed, err := w.intake.Route("pull_request", "merge", merged(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.RecordDelivery(ctx, store.Delivery{ID: "merge", Event: "pull_request"}, routed.Jobs); err != nil {
		t.Fatal(err)
	}
	claim := func() (store.Job, bool) {
		j, ok, err := w.st.ClaimJob(ctx, "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return j, ok
	}
	// The merge queues the applies and the deployment; production applies.
	var staging store.Job
	for range 3 {
		j, ok := claim()
		if !ok {
			t.Fatal("fewer jobs than the merge, production's apply and staging's apply")
		}
		var a flow.ApplySpec
		if j.Kind == flow.KindApply && json.Unmarshal(j.Spec, &a) == nil && a.Project.Name == "staging" {
			staging = j // claimed, still running
			continue
		}
		w.finish(t, j)
	}
	if staging.ID == 0 {
		t.Fatal("staging's apply was not claimed")
	}
	// The deployment runs while staging applies: it deploys nothing and queues itself behind it.
	d, ok := claim()
	if !ok || d.Kind != flow.KindDeploy {
		t.Fatalf("claimed %+v, %v; want the deployment", d, ok)
	}
	d = w.finish(t, d)
	if d.State != store.Succeeded || !strings.Contains(string(d.Result), `"waiting_for":"staging"`) || len(ship.calls) != 0 {
		t.Fatalf("the deployment ended %s with %s and %d deployments; want it queued behind staging's apply", d.State, d.Result, len(ship.calls))
	}
	if j, ok := claim(); ok {
		t.Fatalf("job %d (%s) was claimable while staging's apply runs; the deployment must wait behind it", j.ID, j.Kind)
	}
	// Staging's apply ends: the deployment runs, once.
	w.finish(t, staging)
	rest := w.runAll(t)
	if len(rest) != 1 || rest[0].Kind != flow.KindDeploy || rest[0].State != store.Succeeded || len(ship.calls) != 1 {
		t.Errorf("after staging applied: jobs %s and %d deployments, want one deployment", jobList(rest), len(ship.calls))
	}
}
