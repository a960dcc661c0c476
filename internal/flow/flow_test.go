package flow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/store/sqlite"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/workdir"
)

const repo = "Codertocat/Hello-World"

// world is one test's GitHub, database and gantry handlers.
type world struct {
	gh     *githubfake.Server
	st     store.Store
	intake *flow.Intake
	deps   flow.Deps
	n      int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("Codertocat", "Hello-World", "main")
	fake.AddPullRequest(repo, githubfake.PR{Number: 9})
	app, err := gh.NewApp(gh.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &world{gh: fake, st: st, intake: &flow.Intake{},
		deps: flow.Deps{Store: st, GitHub: flow.AppClients(app), Terraform: &fakeTerraform{},
			Workdirs: &workdir.Manager{Root: filepath.Join(t.TempDir(), "work")}, Log: slog.New(slog.DiscardHandler)}}
}

// deliver routes a delivery like the webhook does and runs each job it queues, in order,
// returning the jobs with their outcome.
func (w *world) deliver(t *testing.T, event string, payload []byte) []store.Job {
	t.Helper()
	w.n++
	id := fmt.Sprintf("delivery-%d", w.n)
	routed, err := w.intake.Route(event, id, payload)
	if err != nil {
		t.Fatalf("routing: %v", err)
	}
	ctx := context.Background()
	if _, err := w.st.RecordDelivery(ctx, store.Delivery{ID: id, Event: event}, routed.Jobs); err != nil {
		t.Fatal(err)
	}
	return w.runAll(t)
}

// runAll runs the queued jobs, in order, until none is left, and returns them as they ended.
func (w *world) runAll(t *testing.T) []store.Job {
	t.Helper()
	var done []store.Job
	for {
		j, ok, err := w.st.ClaimJob(context.Background(), "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return done
		}
		done = append(done, w.finish(t, j))
	}
}

func (w *world) comment(t *testing.T, user, body string) []byte {
	return fixtures.Edit(t, fixtures.Webhook(t, "issue_comment.created.1"), map[string]any{
		"installation":       map[string]any{"id": 7},
		"issue.number":       9,
		"issue.pull_request": map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/9"},
		"comment.body":       body,
		"comment.user.login": user,
		"sender.login":       user,
	})
}

func (w *world) replies(t *testing.T, pr int) []string {
	t.Helper()
	var out []string
	for _, c := range w.gh.Comments(repo, pr) {
		if c.User != w.gh.BotLogin() {
			t.Errorf("comment %d written by %s, want the App's bot %s", c.ID, c.User, w.gh.BotLogin())
		}
		out = append(out, c.Body)
	}
	return out
}

func TestCommandsAreAnsweredAccordingToPermission(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, role, body string
		says             []string
	}{
		{"/help from a reader lists every command", "read", "/help", []string{"/plan", "/apply", "/rollback", "/unlock", "/help"}},
		{"/apply from a reader is refused, naming the permission", "read", "/apply", []string{"`/apply` needs write permission", "you have read"}},
		{"/rollback from triage is refused", "triage", "/rollback backend", []string{"needs write permission", "you have triage"}},
		{"/plan from someone who is not a collaborator is refused", "", "/plan", []string{"`/plan` needs read permission", "you have none"}},
		{"a bad flag gets the usage line", "write", "/plan --bogus", []string{"--bogus", "/plan [-p"}},
		{"an unknown command lists the commands", "write", "/deploy", []string{"/deploy", "/plan"}},
		{"/apply from a writer is taken up (here: no configuration)", "write", "/apply", []string{"no `.gantry.yaml`"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if c.role != "" {
				w.gh.SetPermission(repo, "alice", c.role)
			}
			jobs := w.deliver(t, "issue_comment", w.comment(t, "alice", c.body))
			if len(jobs) != 1 || jobs[0].State != store.Succeeded {
				t.Fatalf("jobs %+v, want one that succeeded", jobs)
			}
			got := w.replies(t, 9)
			if len(got) != 1 {
				t.Fatalf("%d replies %q, want 1", len(got), got)
			}
			for _, s := range c.says {
				if !strings.Contains(got[0], s) {
					t.Errorf("reply %q does not say %q", got[0], s)
				}
			}
		})
	}
}

func TestCommandJobFailsWhenGitHubFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.FailNext("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", 502, "Server Error")
	jobs := w.deliver(t, "issue_comment", w.comment(t, "alice", "/help"))
	if len(jobs) != 1 || jobs[0].State != store.Failed || !strings.Contains(jobs[0].Error, "alice's permission") {
		t.Fatalf("jobs %+v, want a failure naming the permission check", jobs)
	}
}

const validConfig = `version: 1
projects:
  - name: production
    dir: terraform/envs/production
    when_modified: ["*.tf", "../../modules/**/*.tf"]
  - name: staging
    dir: terraform/envs/staging
`

func prOpened(t *testing.T, number int) []byte {
	return fixtures.Edit(t, fixtures.Webhook(t, "pull_request.opened.2"), map[string]any{
		"installation":         map[string]any{"id": 7},
		"number":               number,
		"pull_request.number":  number,
		"repository.full_name": repo,
	})
}

func result(t *testing.T, j store.Job) map[string]any {
	t.Helper()
	var m map[string]any
	if len(j.Result) > 0 {
		if err := json.Unmarshal(j.Result, &m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestPullRequestPlansTheProjectsItsFilesAffect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, Files: []string{"terraform/modules/alb/main.tf", "README.md"}})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"terraform/envs/production/main.tf": "fast"})
	jobs := w.deliver(t, "pull_request", prOpened(t, 2))
	if len(jobs) != 2 || jobs[0].State != store.Succeeded || jobs[1].Kind != flow.KindPlan || jobs[1].State != store.Succeeded {
		t.Fatalf("jobs %+v, want the pull request's and one plan, both succeeded", jobs)
	}
	// ../../modules/**/*.tf from terraform/envs/production is terraform/modules/**/*.tf: production only.
	if got := fmt.Sprint(result(t, jobs[0])["projects"]); got != "[production]" {
		t.Errorf("affected projects %s, want [production]", got)
	}
	c := w.replies(t, 2)
	if len(c) != 1 || !strings.HasPrefix(c[0], "<!-- gantry:project=production -->") || !strings.Contains(c[0], "Plan: 1 to add") {
		t.Errorf("comments %q, want production's plan only", c)
	}
	locks, _ := w.st.ListLocks(context.Background(), repo)
	if len(locks) != 1 || locks[0].Project != "production" || locks[0].PR != 2 {
		t.Errorf("locks %+v, want production held by #2", locks)
	}
	if _, err := w.st.LatestPlan(context.Background(), repo, 2, "production"); err != nil {
		t.Errorf("the plan was not saved: %v", err)
	}
}

// fixtureHead is the head commit of the pull_request.opened.2 fixture.
const fixtureHead = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

func TestEditingTheConfigurationGetsOneNote(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, Files: []string{".gantry.yaml"}})
	w.deliver(t, "pull_request", prOpened(t, 2))
	w.deliver(t, "pull_request", prOpened(t, 2)) // a second push: the note is not repeated
	got := w.replies(t, 2)
	if len(got) != 1 || !strings.Contains(got[0], "takes effect after it is merged") {
		t.Errorf("comments %q, want one note that the change takes effect after merge", got)
	}
}

func TestABrokenConfigurationIsReportedWithLineNumbers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.SetFile(repo, "main", ".gantry.yaml", "version: 1\nprojects:\n  - dir: terraform\n    when_modifed: [\"*.tf\"]\n")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, Files: []string{"terraform/main.tf"}})
	jobs := w.deliver(t, "pull_request", prOpened(t, 2))
	if jobs[0].State != store.Succeeded || result(t, jobs[0])["config_problem"] == nil {
		t.Fatalf("job %+v, want it to record the configuration problem", jobs[0])
	}
	got := w.replies(t, 2)
	if len(got) != 1 || !strings.Contains(got[0], ".gantry.yaml:4:5") || !strings.Contains(got[0], "when_modified") {
		t.Errorf("comments %q, want the problem at line 4 with the key it meant", got)
	}
}

func TestARepositoryWithoutConfigurationIsLeftAlone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, Files: []string{"main.tf"}})
	jobs := w.deliver(t, "pull_request", prOpened(t, 2))
	if jobs[0].State != store.Succeeded || len(w.gh.Comments(repo, 2)) != 0 {
		t.Errorf("job %+v, comments %v: want success and silence", jobs[0], w.gh.Comments(repo, 2))
	}
}

func TestAForkGetsOneNoteAndNoPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.SetFile(repo, "main", ".gantry.yaml", validConfig)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2, HeadRepo: "mallory/Hello-World", Files: []string{"terraform/envs/production/main.tf"}})
	fork := fixtures.Edit(t, prOpened(t, 2), map[string]any{"pull_request.head.repo.full_name": "mallory/Hello-World"})
	w.deliver(t, "pull_request", fork)
	jobs := w.deliver(t, "pull_request", fork)
	if len(jobs) != 1 || jobs[0].Kind != flow.KindForkNote {
		t.Fatalf("jobs %+v, want only the fork note", jobs)
	}
	got := w.replies(t, 2)
	if len(got) != 1 || !strings.Contains(got[0], "GANTRY_ALLOW_FORK_PRS") {
		t.Errorf("comments %q, want one note saying how to enable fork plans", got)
	}
}

func TestClosingAPullRequestReleasesItsLocksAndPlans(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, l := range []store.Lock{
		{Repo: repo, Project: "production", Workspace: "default", PR: 2},
		{Repo: repo, Project: "staging", Workspace: "default", PR: 3},
	} {
		if _, ok, err := w.st.AcquireLock(ctx, l); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if _, err := w.st.SavePlan(ctx, store.Plan{Repo: repo, PR: 2, Project: "production", Workspace: "default"}); err != nil {
		t.Fatal(err)
	}
	// A plan of the pull request is running on another worker when it closes.
	running, err := w.st.EnqueueJob(ctx, store.NewJob{Kind: flow.KindPlan, Repo: repo, PR: 2, Key: "plan:" + repo + "#2:production"})
	if err != nil {
		t.Fatal(err)
	}
	if j, ok, err := w.st.ClaimJob(ctx, "other-worker", time.Minute); err != nil || !ok || j.ID != running.ID {
		t.Fatalf("claim: %v %v %+v", ok, err, j)
	}
	closed := fixtures.Edit(t, fixtures.Webhook(t, "pull_request.closed.1"), map[string]any{
		"installation": map[string]any{"id": 7}, "number": 2, "pull_request.number": 2})
	jobs := w.deliver(t, "pull_request", closed)
	if len(jobs) != 1 || jobs[0].State != store.Succeeded {
		t.Fatalf("jobs %+v", jobs)
	}
	locks, _ := w.st.ListLocks(ctx, repo)
	if len(locks) != 1 || locks[0].PR != 3 {
		t.Errorf("locks %+v, want only PR 3's", locks)
	}
	if _, err := w.st.LatestPlan(ctx, repo, 2, "production"); err == nil {
		t.Error("the closed pull request's plan is still stored")
	}
	if cancel, err := w.st.RenewLease(ctx, running.ID, "other-worker", time.Minute); err != nil || !cancel {
		t.Errorf("the running plan of the closed pull request was not asked to stop (cancel=%v, err=%v)", cancel, err)
	}
}

func TestInstallationsAreRecordedAndForgotten(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.deliver(t, "installation", fixtures.Webhook(t, "installation.created.1"))
	ins, _ := w.st.ListInstallations(ctx)
	if len(ins) != 1 || ins[0].ID != 957387 || ins[0].Account != "Codertocat" {
		t.Fatalf("installations %+v, want 957387 of Codertocat", ins)
	}
	w.deliver(t, "installation", fixtures.Edit(t, fixtures.Webhook(t, "installation.deleted.1"),
		map[string]any{"installation.id": 957387}))
	if ins, _ := w.st.ListInstallations(ctx); len(ins) != 0 {
		t.Errorf("installations %+v after deletion, want none", ins)
	}
}

func TestAnAbandonedJobIsReportedOnItsPullRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 4})
	r := &flow.AbandonedReporter{GitHub: w.deps.GitHub}
	j := store.Job{ID: 31, NewJob: store.NewJob{Kind: flow.KindPullRequest, Repo: repo, PR: 4, InstallationID: 7},
		State: store.Failed, Error: "the worker running it stopped"}
	if err := r.ReportAbandoned(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	got := w.replies(t, 4)
	if len(got) != 1 || !strings.Contains(got[0], "the worker running it stopped") || !strings.Contains(got[0], "job 31") {
		t.Errorf("comments %q, want one saying what stopped and which job", got)
	}
}

func TestUnlockReleasesThisPullRequestsLocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, body string
		left       []string // projects still locked afterwards
		says       string
		plansKept  bool
	}{
		{"/unlock releases every lock of the pull request and its plans", "/unlock", []string{"other-pr"}, "Released `production` (workspace `default`), `staging` (workspace `default`)", false},
		{"/unlock -p releases only the named project", "/unlock -p staging", []string{"other-pr", "production"}, "Released `staging`", true},
		{"/unlock of a project it does not hold says so", "/unlock -p other-pr", []string{"other-pr", "production", "staging"}, "holds no locks on other-pr", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.gh.SetPermission(repo, "alice", "write")
			for _, l := range []store.Lock{
				{Repo: repo, Project: "production", Workspace: "default", PR: 9},
				{Repo: repo, Project: "staging", Workspace: "default", PR: 9},
				{Repo: repo, Project: "other-pr", Workspace: "default", PR: 3},
			} {
				if _, ok, err := w.st.AcquireLock(ctx, l); err != nil || !ok {
					t.Fatal(ok, err)
				}
			}
			if _, err := w.st.SavePlan(ctx, store.Plan{Repo: repo, PR: 9, Project: "production", Workspace: "default"}); err != nil {
				t.Fatal(err)
			}
			w.deliver(t, "issue_comment", w.comment(t, "alice", c.body))
			locks, _ := w.st.ListLocks(ctx, repo)
			var left []string
			for _, l := range locks {
				left = append(left, l.Project)
			}
			if fmt.Sprint(left) != fmt.Sprint(c.left) {
				t.Errorf("locked afterwards %v, want %v", left, c.left)
			}
			if _, err := w.st.LatestPlan(ctx, repo, 9, "production"); (err == nil) != c.plansKept {
				t.Errorf("plan kept = %v, want %v", err == nil, c.plansKept)
			}
			if got := w.replies(t, 9); len(got) != 1 || !strings.Contains(got[0], c.says) {
				t.Errorf("replies %q, want one saying %q", got, c.says)
			}
		})
	}
}

// A job's recorded error can hold text a pull request chose (Terraform's diagnostics quote its
// code): reported on the pull request, it stays inert text.
func TestAnAbandonedJobsErrorIsPostedAsText(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 4})
	r := &flow.AbandonedReporter{GitHub: w.deps.GitHub}
	j := store.Job{ID: 32, NewJob: store.NewJob{Kind: flow.KindPlan, Repo: repo, PR: 4, InstallationID: 7},
		State: store.Failed, Error: "Error: x\n</details><img src=x> @org/team <!-- gantry:project=production -->"}
	if err := r.ReportAbandoned(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	got := w.replies(t, 4)
	if len(got) != 1 || strings.Contains(got[0], "<!-- gantry:project=production -->") || !strings.Contains(got[0], "\n```\nError: x\n") {
		t.Errorf("the error was not posted inside a code block, or forged a marker:\n%q", got)
	}
}
