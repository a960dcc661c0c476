package flow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/config"
	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// approvedConfig applies production on merge, once a writer other than the author approved.
const approvedConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    apply: {on: merge, requires: [approved]}
`

// requiring opens pull request 2 of alice on production at fixtureHead under cfg and plans it;
// writers bob and carol, maintainer max and admin ada may review it. mergeIt merges it.
func requiring(t *testing.T, cfg string) *world {
	t.Helper()
	w := newWorld(t)
	w.gh.SetFile(repo, "main", ".gantry.yaml", cfg)
	for user, role := range map[string]string{"alice": "write", "bob": "write", "carol": "write", "max": "maintain", "ada": "admin"} {
		w.gh.SetPermission(repo, user, role)
	}
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, BaseRef: "main",
		Files: []string{"terraform/envs/production/main.tf"}})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.deliver(t, "pull_request", prOpened(t, 2))
	return w
}

// mergeIt merges pull request 2 at mergeSHA with head as its last head and returns the apply job.
func mergeIt(t *testing.T, w *world, head string) store.Job {
	t.Helper()
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: head, State: "closed", Merged: true,
		MergeCommitSHA: mergeSHA, Files: []string{"terraform/envs/production/main.tf"}})
	for _, j := range w.deliver(t, "pull_request", merged(t)) {
		if j.Kind == flow.KindApply {
			return j
		}
	}
	t.Fatal("the merge queued no apply")
	return store.Job{}
}

// applyOutcome is what a user sees of production's latest apply.
type applyOutcome struct {
	held, check, deployment, comment string
	applied                          int
}

func outcome(t *testing.T, w *world, j store.Job) applyOutcome {
	t.Helper()
	var o applyOutcome
	var res struct {
		Held string `json:"held"`
	}
	if len(j.Result) > 0 {
		if err := json.Unmarshal(j.Result, &res); err != nil {
			t.Fatal(err)
		}
	}
	o.held = res.Held
	for _, c := range w.gh.CheckRuns(repo) {
		if c.Name == "gantry/apply: production" {
			o.check = c.Conclusion
		}
	}
	if ds := w.gh.Deployments(repo); len(ds) > 0 {
		st := w.gh.DeploymentStatuses(ds[len(ds)-1].ID)
		o.deployment = st[len(st)-1].State
	}
	o.comment = applyComment(t, w)
	o.applied = len(w.deps.Terraform.(*fakeTerraform).applied)
	return o
}

func mustHoldForApproval(t *testing.T, w *world, j store.Job, says ...string) {
	t.Helper()
	o := outcome(t, w, j)
	if j.State != store.Succeeded || o.held != "requirements" || o.check != "neutral" || o.deployment != "queued" || o.applied != 0 {
		t.Errorf("job %s held %q, check run %q, deployment %q, %d applies; want held for requirements: "+
			"a neutral check, a waiting deployment, nothing applied", j.State, o.held, o.check, o.deployment, o.applied)
	}
	for _, want := range append([]string{"is waiting", "`approved`", "maintain or admin", "`/apply -p production`"}, says...) {
		if !strings.Contains(o.comment, want) {
			t.Errorf("the apply comment does not say %q:\n%s", want, o.comment)
		}
	}
	if planned := w.deps.Terraform.(*fakeTerraform).planned; len(planned) != 1 {
		t.Errorf("Terraform planned %d times, want once (the pull request): a held merge is not planned", len(planned))
	}
}

func mustApply(t *testing.T, w *world, j store.Job) {
	t.Helper()
	o := outcome(t, w, j)
	if j.State != store.Succeeded || o.held != "" || o.check != "success" || o.applied != 1 || !strings.Contains(o.comment, "applied `9f3c2e1`") {
		t.Errorf("job %s (%s) held %q, check run %q, %d applies; want the merge applied:\n%s", j.State, j.Error, o.held, o.check, o.applied, o.comment)
	}
}

func TestAnUnapprovedMergeIsNotApplied(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	mustHoldForApproval(t, w, mergeIt(t, w, fixtureHead), "of commit `ec26c3e`")
}

func TestAMergeApprovedByAnotherWriterIsApplied(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	w.gh.AddReview(repo, 2, "bob", "APPROVED")
	mustApply(t, w, mergeIt(t, w, fixtureHead))
}

func TestAMergeOfAProjectWithoutRequirementsReadsNoReviews(t *testing.T) {
	t.Parallel()
	w := requiring(t, validConfig)
	mustApply(t, w, mergeIt(t, w, fixtureHead))
	for _, r := range w.gh.Requests() {
		if r.Route == "/repos/{owner}/{repo}/pulls/{pull_number}/reviews" {
			t.Errorf("the merge of a project without apply.requires read the reviews: %s", r.Path)
		}
	}
}

func TestANoAccessApprovalDoesNotCountForAMerge(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	w.gh.AddReview(repo, 2, "eve", "APPROVED") // eve has no access to the repository
	mustHoldForApproval(t, w, mergeIt(t, w, fixtureHead), "`eve` has no access")
}

func TestAReadersApprovalOfAPublicRepositoryDoesNotCountForAMerge(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	w.gh.SetPublic(repo) // anyone can review, and has read permission
	w.gh.AddReview(repo, 2, "eve", "APPROVED")
	mustHoldForApproval(t, w, mergeIt(t, w, fixtureHead), "`eve` has only `read` permission")
}

func TestAnApprovalOfAnOlderCommitDoesNotCountAfterTheAuthorPushes(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	// bob approves the head he saw; alice then pushes other code and merges it.
	w.gh.AddReview(repo, 2, "bob", "APPROVED")
	pushed := strings.Repeat("c", 40)
	w.gh.SetTarball(repo, pushed, map[string]string{"terraform/envs/production/main.tf": "fast"})
	mustHoldForApproval(t, w, mergeIt(t, w, pushed), "`bob` approved an earlier commit, `ec26c3e`", "of commit `ccccccc`")
}

func TestTheAuthorsOwnApprovalDoesNotCountForAMerge(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	w.gh.SetPermission(repo, "alice", "admin")
	w.gh.AddReview(repo, 2, "alice", "APPROVED")
	mustHoldForApproval(t, w, mergeIt(t, w, fixtureHead), "`alice` is the author")
}

func TestAWritersRequestForChangesHoldsAnApprovedMerge(t *testing.T) {
	t.Parallel()
	w := requiring(t, approvedConfig)
	w.gh.AddReview(repo, 2, "carol", "APPROVED")
	w.gh.AddReview(repo, 2, "bob", "CHANGES_REQUESTED")
	mustHoldForApproval(t, w, mergeIt(t, w, fixtureHead), "changes are requested by `bob`")
}

// releaseWith queues what `/apply -p production` on the merged pull request queues for user, asking
// to apply although requirements did not hold, and runs it.
func releaseWith(t *testing.T, w *world, user string, s flow.ApplySpec) store.Job {
	t.Helper()
	p := config.Project{Name: "production", Dir: "terraform/envs/production", Workspace: "default",
		Apply: config.Apply{On: config.ApplyOnMerge, Requires: []string{config.RequireApproved}}}
	if s.Trigger == "" {
		s = flow.ApplySpec{Trigger: "comment", Override: true}
	}
	s.Number, s.SHA, s.RequestedBy, s.Project = 2, mergeSHA, user, p
	spec, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	queued, err := w.st.EnqueueJob(ctx, store.NewJob{Kind: flow.KindApply, InstallationID: 7, Repo: repo, PR: 2, SHA: mergeSHA,
		Spec: spec, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return runQueued(t, w, queued.ID)
}

// runQueued runs the queued jobs, in order, and returns job id afterwards.
func runQueued(t *testing.T, w *world, id int64) store.Job {
	t.Helper()
	w.runAll(t)
	j, err := w.st.GetJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestAMaintainerCanApplyAnUnapprovedMerge(t *testing.T) {
	t.Parallel()
	for _, user := range []string{"max", "ada"} {
		t.Run(user, func(t *testing.T) {
			t.Parallel()
			w := requiring(t, approvedConfig)
			mustHoldForApproval(t, w, mergeIt(t, w, fixtureHead))
			j := releaseWith(t, w, user, flow.ApplySpec{})
			mustApply(t, w, j)
			if c := applyComment(t, w); !strings.Contains(c, "Applied although `approved` did not hold: `"+user+"`") {
				t.Errorf("the apply comment does not say who applied it without approval:\n%s", c)
			}
			if got := fmt.Sprint(result(t, j)["overridden_by"]); got != user {
				t.Errorf("the job records overridden_by %q, want %q", got, user)
			}
		})
	}
}

func TestAWriterCannotReleaseAnUnapprovedMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user string
		spec       flow.ApplySpec
		says       string
	}{
		{name: "a writer's /apply", user: "bob", says: "`bob` asked to apply it with `/apply -p production`, but that needs maintain or admin permission; `bob` has `write`"},
		{name: "the pull request's author", user: "alice", says: "`alice` has `write`"},
		{name: "someone without access", user: "eve", says: "`eve` has `none`"},
		// The flag alone is not trusted: a merge is not someone asking to skip the review.
		{name: "an admin's merge", user: "ada", spec: flow.ApplySpec{Trigger: "merge", Override: true}},
		// Nor is a confirmation of drift a release of requirements.
		{name: "a maintainer's /apply --confirm-drift without the override", user: "max", spec: flow.ApplySpec{Trigger: "comment", ConfirmDrift: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := requiring(t, approvedConfig)
			mergeIt(t, w, fixtureHead)
			j := releaseWith(t, w, tt.user, tt.spec)
			var says []string
			if tt.says != "" {
				says = append(says, tt.says)
			}
			mustHoldForApproval(t, w, j, says...)
		})
	}
}

func TestApplyBeforeMergeWaitsForAWritersRequestForChangesToBeLifted(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(commentConfig, "requires: [approved, undiverged]", "requires: [approved]", 1)
	w := requiring(t, cfg)
	tf := w.deps.Terraform.(*fakeTerraform)
	apply := func() string {
		t.Helper()
		w.deliver(t, "issue_comment", fixtures.Edit(t, w.comment(t, "alice", "/apply"), map[string]any{"issue.number": 2}))
		all := w.gh.Comments(repo, 2)
		return all[len(all)-1].Body
	}
	w.gh.AddReview(repo, 2, "carol", "APPROVED")
	w.gh.AddReview(repo, 2, "bob", "CHANGES_REQUESTED")
	if reply := apply(); !strings.Contains(reply, "changes are requested by `bob`") || len(tf.applied) != 0 {
		t.Fatalf("with bob's changes requested: reply %q, %d applies; want a refusal naming bob", reply, len(tf.applied))
	}
	w.gh.AddReview(repo, 2, "bob", "COMMENTED")
	if reply := apply(); !strings.Contains(reply, "changes are requested by `bob`") || len(tf.applied) != 0 {
		t.Fatalf("after bob's comment: reply %q, %d applies; want still refused", reply, len(tf.applied))
	}
	w.gh.AddReview(repo, 2, "bob", "APPROVED")
	if reply := apply(); !strings.Contains(reply, "applied `ec26c3e`") || len(tf.applied) != 1 {
		t.Errorf("after bob approves: last comment %q, %d applies; want the saved plan applied", reply, len(tf.applied))
	}
}

// failingPlans is a store whose LatestPlan fails once fail is set.
type failingPlans struct {
	store.Store
	fail bool
}

func (f *failingPlans) LatestPlan(ctx context.Context, repo string, pr int, project string) (store.Plan, error) {
	if f.fail {
		return store.Plan{}, errors.New("database is locked")
	}
	return f.Store.LatestPlan(ctx, repo, pr, project)
}

func TestAnApplyThatCannotReadTheShownPlanFails(t *testing.T) {
	t.Parallel()
	w := requiring(t, validConfig)
	st := &failingPlans{Store: w.st}
	w.deps.Store = st
	st.fail = true
	j := mergeIt(t, w, fixtureHead)
	o := outcome(t, w, j)
	if j.State != store.Failed || !strings.Contains(j.Error, "database is locked") || o.check != "failure" || o.deployment != "failure" || o.applied != 0 {
		t.Errorf("job %s (%q), check run %q, deployment %q, %d applies; want a failed job reported as failed, nothing applied",
			j.State, j.Error, o.check, o.deployment, o.applied)
	}
	if !strings.Contains(o.comment, "failed") || !strings.Contains(o.comment, "database is locked") {
		t.Errorf("the apply comment does not report the failure:\n%s", o.comment)
	}
}

// hostileTerraform plans a checkout whose main.tf says "hostile" with resources whose for_each keys
// try to become Markdown, and fails applies with an error that tries the same.
type hostileTerraform struct {
	fakeTerraform
	applyErr string
}

const hostilePlan = `{"format_version":"1.2","terraform_version":"1.5.7","planned_values":{"root_module":{}},"resource_changes":[` +
	`{"address":"terraform_data.x[\"a|b\"]","mode":"managed","type":"terraform_data","name":"x","provider_name":"terraform.io/builtin/terraform","change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}},` +
	`{"address":"terraform_data.x[\"<img src=x onerror=alert(1)>\"]","mode":"managed","type":"terraform_data","name":"x","provider_name":"terraform.io/builtin/terraform","change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}},` +
	`{"address":"terraform_data.x[\"@org/team\"]","mode":"managed","type":"terraform_data","name":"x","provider_name":"terraform.io/builtin/terraform","change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}},` +
	"{\"address\":\"terraform_data.x[\\\"`</details>`\\\"]\",\"mode\":\"managed\",\"type\":\"terraform_data\",\"name\":\"x\",\"provider_name\":\"terraform.io/builtin/terraform\",\"change\":{\"actions\":[\"create\"],\"before\":null,\"after\":{},\"after_unknown\":{}}}," +
	`{"address":"terraform_data.x[\"<!-- gantry:project=other -->\"]","mode":"managed","type":"terraform_data","name":"x","provider_name":"terraform.io/builtin/terraform","change":{"actions":["create"],"before":null,"after":{},"after_unknown":{}}}]}`

func (h *hostileTerraform) Plan(ctx context.Context, req terraform.PlanRequest) (*terraform.PlanResult, error) {
	src, err := os.ReadFile(req.Dir + "/main.tf")
	if err != nil || !strings.Contains(string(src), "hostile") {
		return h.fakeTerraform.Plan(ctx, req)
	}
	if err := os.WriteFile(req.PlanFile, []byte("binary plan"), 0o600); err != nil {
		return nil, err
	}
	return &terraform.PlanResult{Version: terraform.Version{Flavor: terraform.FlavorTerraform, Version: "1.5.7"},
		HasChanges: true, JSON: []byte(hostilePlan)}, nil
}

func (h *hostileTerraform) Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	if h.applyErr != "" {
		return &terraform.ApplyResult{}, &terraform.RunError{Stderr: h.applyErr, Err: errors.New("exit status 1")}
	}
	return h.fakeTerraform.Apply(ctx, req)
}

// mustBeInert fails when comment holds live HTML, a team mention or a marker besides its own.
func mustBeInert(t *testing.T, comment string) {
	t.Helper()
	if n := strings.Count(comment, "<!-- gantry:"); n != 1 {
		t.Errorf("%d marker-like comments, want only gantry's own:\n%s", n, comment)
	}
	// Outside code, nothing may be HTML or a mention.
	var live []string
	inFence := ""
	for _, l := range strings.Split(comment, "\n")[1:] {
		trimmed := strings.TrimSpace(l)
		switch {
		case inFence != "" && strings.HasPrefix(trimmed, inFence) && strings.Trim(trimmed, "`") == "":
			inFence = ""
		case inFence != "":
		case strings.HasPrefix(trimmed, "```"):
			inFence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
		default:
			live = append(live, withoutCode(l))
		}
	}
	text := strings.Join(live, "\n")
	for _, bad := range []string{"<img", "</details>", "@org/team", "<!--"} {
		if strings.Contains(text, bad) {
			t.Errorf("%q is live in the comment:\n%s", bad, comment)
		}
	}
}

// withoutCode blanks the code spans of a line, splitting table cells first at unescaped pipes as
// GitHub does (a pipe splits a cell even inside a code span).
func withoutCode(line string) string {
	var cells []string
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
			cells = append(cells, line[start:i])
			start = i + 1
		}
	}
	cells = append(cells, line[start:])
	for i, c := range cells {
		var b strings.Builder
		for j := 0; j < len(c); {
			if c[j] != '`' {
				b.WriteByte(c[j])
				j++
				continue
			}
			n := len(c[j:]) - len(strings.TrimLeft(c[j:], "`"))
			delim := c[j : j+n]
			end := -1
			for k := j + n; k < len(c); {
				m := len(c[k:]) - len(strings.TrimLeft(c[k:], "`"))
				if m == n {
					end = k
					break
				}
				k += max(m, 1)
			}
			if end < 0 {
				b.WriteString(delim)
				j += n
				continue
			}
			j = end + n
		}
		cells[i] = b.String()
	}
	return strings.Join(cells, "|")
}

func TestAForEachKeyInADriftedMergeStaysText(t *testing.T) {
	t.Parallel()
	w := requiring(t, validConfig)
	w.deps.Terraform = &hostileTerraform{}
	w.gh.SetTarball(repo, mergeSHA, map[string]string{"terraform/envs/production/main.tf": "hostile"})
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, State: "closed", Merged: true,
		MergeCommitSHA: mergeSHA, Files: []string{"terraform/envs/production/main.tf"}})
	w.deliver(t, "pull_request", merged(t))
	comment := applyComment(t, w)
	if !strings.Contains(comment, "differs from the plan shown") || !strings.Contains(comment, `@org/team`) {
		t.Fatalf("no drift table naming the resources:\n%s", comment)
	}
	mustBeInert(t, comment)
	var rows int
	for _, l := range strings.Split(comment, "\n") {
		if strings.HasPrefix(l, "| `") && strings.Contains(l, "terraform_data.x") {
			rows++
			if cells := strings.Split(strings.ReplaceAll(l, `\|`, ""), "|"); len(cells) != 5 {
				t.Errorf("row %q has %d cells, want 3", l, len(cells)-2)
			}
		}
	}
	if rows != 6 {
		t.Errorf("%d rows of terraform_data.x, want 6 (5 created at merge, 1 shown on the pull request):\n%s", rows, comment)
	}
}

func TestAnApplyErrorCannotMentionATeamOrAddHTML(t *testing.T) {
	t.Parallel()
	w := requiring(t, validConfig)
	w.deps.Terraform = &hostileTerraform{applyErr: "Error: bucket \"x\"\n```\n</details><img src=x onerror=alert(1)>\n@org/team\n<!-- gantry:project=other -->\n"}
	j := mergeIt(t, w, fixtureHead)
	comment := applyComment(t, w)
	if j.State != store.Failed || !strings.Contains(comment, "@org/team") {
		t.Fatalf("job %s; want a failed apply whose comment shows the error:\n%s", j.State, comment)
	}
	mustBeInert(t, comment)
}

func TestAServiceHeldByADriftedMergeDeploysOnceTheDriftIsConfirmed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper, w.deps.Credentials = ship, fakeCredentials{}
	planned(t, w, "fast", "nat") // the merge-time plan drifts: the apply is held for --confirm-drift
	w.gh.SetFile(repo, "main", ".gantry.yaml", unorderedServiceConfig)
	w.deliver(t, "pull_request", merged(t))
	if len(ship.calls) != 0 || heldComment(w) == "" {
		t.Fatalf("%d deployments, held comment %q: want backend held back by the held apply", len(ship.calls), heldComment(w))
	}
	w.gh.SetPermission(repo, "alice", "write")
	jobs := w.deliver(t, "issue_comment", fixtures.Edit(t, w.comment(t, "alice", "/apply -p production --confirm-drift"),
		map[string]any{"issue.number": 2}))
	if len(ship.calls) != 1 {
		t.Errorf("after the confirmed apply, %d deployments of backend, want 1; jobs %s", len(ship.calls), jobList(jobs))
	}
}
