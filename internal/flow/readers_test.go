package flow_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// argsTerraform is fakeTerraform whose plan files say which plan they are and with which
// arguments, so that a test sees which saved plan an apply used.
type argsTerraform struct {
	fakeTerraform
	mu   sync.Mutex
	args [][]string
}

func (a *argsTerraform) Plan(ctx context.Context, req terraform.PlanRequest) (*terraform.PlanResult, error) {
	r, err := a.fakeTerraform.Plan(ctx, req)
	if err != nil {
		return r, err
	}
	a.mu.Lock()
	a.args = append(a.args, req.Args)
	n := len(a.args)
	a.mu.Unlock()
	return r, os.WriteFile(req.PlanFile, []byte(fmt.Sprintf("plan %d %s", n, strings.Join(req.Args, " "))), 0o600)
}

// readerConfig applies production with `/apply` and requires nothing, so that only who planned matters.
const readerConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    apply: {on: comment}
`

// onPR is a comment by user on pull request pr.
func (w *world) onPR(t *testing.T, pr int, user, body string) []byte {
	return fixtures.Edit(t, w.comment(t, user, body), map[string]any{"issue.number": pr})
}

// queueDelivery routes and records a delivery without running its jobs.
func (w *world) queueDelivery(t *testing.T, event string, payload []byte) {
	t.Helper()
	w.n++
	id := fmt.Sprintf("queued-%d", w.n)
	routed, err := w.intake.Route(event, id, payload)
	if err != nil {
		t.Fatalf("routing: %v", err)
	}
	if _, err := w.st.RecordDelivery(context.Background(), store.Delivery{ID: id, Event: event}, routed.Jobs); err != nil {
		t.Fatal(err)
	}
}

// runNextJob runs the oldest queued job, as a worker would, and returns it finished.
func (w *world) runNextJob(t *testing.T) store.Job {
	t.Helper()
	ctx := context.Background()
	j, ok, err := w.st.ClaimJob(ctx, "test", time.Minute)
	if err != nil || !ok {
		t.Fatalf("claiming the next job: ok=%v err=%v", ok, err)
	}
	return w.finish(t, j)
}

// finish runs a claimed job and records its outcome.
func (w *world) finish(t *testing.T, j store.Job) store.Job {
	t.Helper()
	ctx := context.Background()
	h, err := flow.Handlers(w.deps).Handler(j.Kind)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Run(ctx, j, w.deps.Log)
	out := store.Outcome{State: store.Succeeded, Result: res}
	if err != nil {
		out = store.Outcome{State: store.Failed, Error: err.Error()}
	}
	if err := w.st.FinishJob(ctx, j.ID, "test", out); err != nil {
		t.Fatal(err)
	}
	done, _ := w.st.GetJob(ctx, j.ID)
	return done
}

// othersSay is every comment on pr that is not a project's plan comment and says want.
func othersSay(w *world, pr int, want string) []string {
	var got []string
	for _, c := range w.gh.Comments(repo, pr) {
		if !strings.HasPrefix(c.Body, "<!-- gantry:project=") && strings.Contains(c.Body, want) {
			got = append(got, c.Body)
		}
	}
	return got
}

func TestAReaderCannotApplyTheirArguments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := &argsTerraform{}
	w.deps.Terraform = tf
	ctx := context.Background()
	w.gh.SetFile(repo, "main", ".gantry.yaml", readerConfig)
	w.gh.SetPermission(repo, "mallory", "read")
	w.gh.SetPermission(repo, "bob", "write")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "alice", HeadSHA: fixtureHead, BaseRef: "main",
		Files: []string{"terraform/envs/production/main.tf"}})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.deliver(t, "pull_request", prOpened(t, 2)) // the author's push: a plan that can be applied

	jobs := w.deliver(t, "issue_comment", w.onPR(t, 2, "mallory", "/plan -p production -- -destroy -var=admin_cidr=0.0.0.0/0 -lock=false"))
	if len(jobs) != 2 || jobs[1].Kind != flow.KindPlan || jobs[1].State != store.Succeeded {
		t.Fatalf("jobs %+v, want the command and the reader's plan", jobs)
	}
	saved, err := w.st.LatestPlan(ctx, repo, 2, "production")
	if err != nil {
		t.Fatal(err)
	}
	if want := "plan 2 -destroy -var=admin_cidr=0.0.0.0/0 -lock=false"; string(saved.File) != want || saved.Applicable || saved.RequestedBy != "mallory" {
		t.Fatalf("newest plan %q applicable=%v by %q, want the reader's %q, not applicable, by mallory",
			saved.File, saved.Applicable, saved.RequestedBy, want)
	}
	var shown string
	for _, c := range w.gh.Comments(repo, 2) {
		if strings.HasPrefix(c.Body, "<!-- gantry:project=production -->") {
			shown = c.Body
		}
	}
	if !strings.Contains(shown, "This plan can never be applied") {
		t.Errorf("the reader's plan comment does not say it can never be applied:\n%s", shown)
	}

	w.deliver(t, "issue_comment", w.onPR(t, 2, "bob", "/apply"))
	if len(tf.applied) != 0 {
		t.Fatalf("a writer's /apply applied %q: the reader's plan (and its arguments) must never be applied", tf.applied)
	}
	if said := othersSay(w, 2, "`/plan -p production`"); len(said) == 0 {
		t.Errorf("nothing told the writer to plan the project themselves; comments: %+v", w.gh.Comments(repo, 2))
	}
}

func TestAReaderCannotHoldAProjectWithAPlanOnAStalePullRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.SetPermission(repo, "mallory", "read")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	lockedBy := func() []int {
		locks, _ := w.st.ListLocks(ctx, repo)
		var prs []int
		for _, l := range locks {
			prs = append(prs, l.PR)
		}
		return prs
	}

	// Another pull request holds production: the reader's plan is refused, and takes nothing.
	if _, ok, err := w.st.AcquireLock(ctx, store.Lock{Repo: repo, Project: "production", Workspace: "default", PR: 3, User: "bob"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	jobs := w.deliver(t, "issue_comment", w.comment(t, "mallory", "/plan -p production"))
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v, want only the command: a reader's plan does not wait for a lock", jobs)
	}
	if got := w.replies(t, 9); len(got) != 1 || !strings.Contains(got[0], "`production` is locked by #3") {
		t.Errorf("replies %q, want one saying #3 holds production", got)
	}
	if got := lockedBy(); fmt.Sprint(got) != "[3]" {
		t.Errorf("production locked by %v, want still #3", got)
	}

	// Free: the reader's plan runs, and still takes no lock, so another pull request can plan.
	if err := w.st.ReleaseLock(ctx, repo, "production", "default", 3); err != nil {
		t.Fatal(err)
	}
	jobs = w.deliver(t, "issue_comment", w.comment(t, "mallory", "/plan -p production"))
	if len(jobs) != 2 || jobs[1].State != store.Succeeded {
		t.Fatalf("jobs %+v, want the command and a plan that succeeded", jobs)
	}
	if got := lockedBy(); len(got) != 0 {
		t.Errorf("after a reader's plan production is locked by %v, want no lock", got)
	}
	if saved, err := w.st.LatestPlan(ctx, repo, 9, "production"); err != nil || saved.Applicable {
		t.Errorf("the reader's plan: %+v %v, want it saved as not applicable", saved, err)
	}
	if _, ok, err := w.st.AcquireLock(ctx, store.Lock{Repo: repo, Project: "production", Workspace: "default", PR: 3}); err != nil || !ok {
		t.Errorf("another pull request could not lock production after a reader's plan: ok=%v err=%v", ok, err)
	}
}

func TestAReadersQueuedPlanStopsAtALockTakenMeanwhile(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := w.deps.Terraform.(*fakeTerraform)
	ctx := context.Background()
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.SetPermission(repo, "mallory", "read")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.queueDelivery(t, "issue_comment", w.comment(t, "mallory", "/plan -p production"))
	w.runNextJob(t) // the command: production is free, the plan is queued
	if _, ok, err := w.st.AcquireLock(ctx, store.Lock{Repo: repo, Project: "production", Workspace: "default", PR: 3, User: "bob"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	j := w.runNextJob(t)
	if j.Kind != flow.KindPlan || result(t, j)["locked_by"] != float64(3) {
		t.Fatalf("plan job %+v, want it stopped by #3's lock", j)
	}
	if len(tf.planned) != 0 {
		t.Errorf("Terraform planned %q while another pull request held the lock", tf.planned)
	}
	if l, err := w.st.GetLock(ctx, repo, "production", "default"); err != nil || l.PR != 3 {
		t.Errorf("lock %+v (%v), want #3's", l, err)
	}
}

func TestAReaderCannotCancelAWritersPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.SetPermission(repo, "mallory", "read")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	// Three commands before any plan runs: a writer's /plan, a reader's, and the writer's again.
	w.queueDelivery(t, "issue_comment", w.comment(t, "alice", "/plan -p production"))
	w.queueDelivery(t, "issue_comment", w.comment(t, "mallory", "/plan -p production"))
	w.queueDelivery(t, "issue_comment", w.comment(t, "alice", "/plan -p production"))
	w.runNextJob(t)
	w.runNextJob(t)
	plans, _ := w.st.ListJobs(ctx, store.JobFilter{Kind: flow.KindPlan})
	if len(plans) != 2 || plans[0].State != store.Queued {
		t.Fatalf("plan jobs %+v, want the writer's still queued after the reader's /plan", plans)
	}
	// A writer's newer plan supersedes a reader's, as a newer push does.
	w.runNextJob(t)
	plans, _ = w.st.ListJobs(ctx, store.JobFilter{Kind: flow.KindPlan})
	var states []store.JobState
	for _, p := range plans {
		states = append(states, p.State)
	}
	if fmt.Sprint(states) != "[canceled canceled queued]" {
		t.Errorf("plan job states %v, want both older plans canceled by the writer's newer one", states)
	}
}

func TestAForksPlanIsAppliableOnlyWhenAWriterPushedIt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sender, role string
		applicable         bool
	}{
		{"a fork pushed by someone without access is planned as a reader's", "mallory", "", false},
		{"a fork pushed by a maintainer (allowed to edit) is planned as a writer's", "carol", "maintain", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ctx := context.Background()
			w.intake.Policy.AllowForkPRs, w.deps.Policy.AllowForkPRs = true, true
			if c.role != "" {
				w.gh.SetPermission(repo, c.sender, c.role)
			}
			w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
			w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, User: "mallory", HeadSHA: fixtureHead, HeadRepo: "mallory/Hello-World",
				Files: []string{"terraform/envs/production/main.tf"}})
			w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
			jobs := w.deliver(t, "pull_request", fixtures.Edit(t, prOpened(t, 2), map[string]any{
				"pull_request.head.repo.full_name": "mallory/Hello-World", "sender.login": c.sender}))
			if len(jobs) != 2 || jobs[1].Kind != flow.KindPlan || jobs[1].State != store.Succeeded {
				t.Fatalf("jobs %+v, want the pull request's and a plan that succeeded", jobs)
			}
			saved, err := w.st.LatestPlan(ctx, repo, 2, "production")
			if err != nil || saved.Applicable != c.applicable || saved.RequestedBy != c.sender {
				t.Errorf("saved plan applicable=%v by %q (%v), want %v by %s", saved.Applicable, saved.RequestedBy, err, c.applicable, c.sender)
			}
			locks, _ := w.st.ListLocks(ctx, repo)
			if (len(locks) == 1) != c.applicable {
				t.Errorf("locks %+v, want a lock only for a writer's plan", locks)
			}
			got := w.replies(t, 2)
			if len(got) != 1 || strings.Contains(got[0], "can never be applied") == c.applicable {
				t.Errorf("comments %q: want the note that it can never be applied exactly on a reader's plan", got)
			}
		})
	}
}

func TestAVarFileMayNameAnyFileOfTheRepositoryAndNothingElse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, args string
		planned    []string // the Terraform arguments planned; nil when refused
		says       string
	}{
		{"a file shared by the environments is planned with", "-var-file=../../common.tfvars",
			[]string{"-var-file=../../common.tfvars"}, ""},
		{"a file above the repository is refused before anything runs", "-var-file=../../../../etc/passwd", nil,
			"`production`: `-var-file` `../../../../etc/passwd` leaves the repository: from the project directory " +
				"`terraform/envs/production/` it may go up at most 3 directories."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tf := &argsTerraform{}
			w.deps.Terraform = tf
			w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
			w.gh.SetPermission(repo, "alice", "write")
			w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead})
			w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast", "terraform/common.tfvars": "x = 1"})
			w.deliver(t, "issue_comment", w.comment(t, "alice", "/plan -p production -- "+c.args))
			var want [][]string
			if c.planned != nil {
				want = [][]string{c.planned}
			}
			if fmt.Sprint(tf.args) != fmt.Sprint(want) {
				t.Errorf("Terraform planned with %q, want %q", tf.args, want)
			}
			if c.says != "" {
				if got := w.replies(t, 9); len(got) != 1 || got[0] != c.says {
					t.Errorf("replies %q, want %q", got, c.says)
				}
			}
		})
	}
}

// A plan job queued by an older gantry (or edited in the database) is checked again where it runs.
func TestAPlanJobWithAVarFileOutsideTheRepositoryFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tf := &argsTerraform{}
	w.deps.Terraform = tf
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead})
	spec := fmt.Sprintf(`{"number":9,"head_sha":%q,"trigger":"comment","requested_by":"alice","applicable":true,
		"project":{"name":"production","dir":"terraform/envs/production","workspace":"default"},"args":["-var-file=../../../../etc/passwd"]}`, fixtureHead)
	if _, err := w.st.EnqueueJob(context.Background(), store.NewJob{Kind: flow.KindPlan, InstallationID: 7, Repo: repo, PR: 9,
		SHA: fixtureHead, Spec: []byte(spec)}); err != nil {
		t.Fatal(err)
	}
	j := w.runNextJob(t)
	if j.State != store.Failed || !strings.Contains(j.Error, "leaves the repository") || len(tf.args) != 0 {
		t.Errorf("job %s %q, Terraform ran %d times: want a failure before Terraform runs", j.State, j.Error, len(tf.args))
	}
	if _, err := w.st.LatestPlan(context.Background(), repo, 9, "production"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a plan was saved: %v", err)
	}
}

// gateTerraform is fakeTerraform whose plans wait, once started, until release is closed.
type gateTerraform struct {
	fakeTerraform
	started, release chan struct{}
}

func (g *gateTerraform) Plan(ctx context.Context, req terraform.PlanRequest) (*terraform.PlanResult, error) {
	close(g.started)
	<-g.release
	return g.fakeTerraform.Plan(ctx, req)
}

// planUntilTerraformRuns queues alice's `/plan -p production` on #9 and runs its plan job until
// Terraform has started; release lets Terraform finish, and done gives the job as it ended.
func planUntilTerraformRuns(t *testing.T, w *world) (release func(), done <-chan store.Job) {
	t.Helper()
	tf := &gateTerraform{started: make(chan struct{}), release: make(chan struct{})}
	w.deps.Terraform = tf
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.SetPermission(repo, "alice", "write")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	w.queueDelivery(t, "issue_comment", w.comment(t, "alice", "/plan -p production"))
	w.runNextJob(t)
	plan, ok, err := w.st.ClaimJob(context.Background(), "test", time.Minute)
	if err != nil || !ok || plan.Kind != flow.KindPlan {
		t.Fatalf("claiming the plan: %+v %v %v", plan, ok, err)
	}
	ended := make(chan store.Job)
	go func() { ended <- w.finish(t, plan) }()
	<-tf.started
	return func() { close(tf.release) }, ended
}

func TestAPlanThatEndsAfterItsPullRequestClosedLeavesNoPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	release, done := planUntilTerraformRuns(t, w)
	// The pull request is closed while Terraform plans; the plan then ends and saves what it planned.
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead, State: "closed"})
	w.queueDelivery(t, "pull_request", fixtures.Edit(t, fixtures.Webhook(t, "pull_request.closed.1"), map[string]any{
		"installation": map[string]any{"id": 7}, "number": 9, "pull_request.number": 9}))
	if j := w.runNextJob(t); j.Kind != flow.KindPullRequestClosed || j.State != store.Succeeded {
		t.Fatalf("close job %+v", j)
	}
	release()
	if j := <-done; j.State != store.Succeeded {
		t.Fatalf("plan job %s: %s", j.State, j.Error)
	}
	if p, err := w.st.LatestPlan(ctx, repo, 9, "production"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the closed pull request's plan %d is still stored (%v)", p.ID, err)
	}
}

// A merge delivered while the plan still runs: the plan must survive its own end, since the merge's
// apply compares the merge commit's plan with it (without it the apply would skip the drift check).
func TestAPlanEndingBeforeItsMergeIsHandledIsKeptForTheApply(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	release, done := planUntilTerraformRuns(t, w)
	// The pull request is merged while Terraform plans; the close job is queued, not yet run.
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, HeadSHA: fixtureHead, State: "closed", Merged: true,
		MergeCommitSHA: strings.Repeat("d", 40)})
	w.queueDelivery(t, "pull_request", fixtures.Edit(t, fixtures.Webhook(t, "pull_request.closed.1"), map[string]any{
		"installation": map[string]any{"id": 7}, "number": 9, "pull_request.number": 9, "pull_request.merged": true,
		"pull_request.merge_commit_sha": strings.Repeat("d", 40)}))
	release()
	if j := <-done; j.State != store.Succeeded {
		t.Fatalf("plan job %s: %s", j.State, j.Error)
	}
	if _, err := w.st.LatestPlan(ctx, repo, 9, "production"); err != nil {
		t.Errorf("the plan shown on the merged pull request was discarded before its merge was handled: %v", err)
	}
}
