package flow_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	gh "github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/job"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/githubfake"
)

// stuckTerraform plans as fakeTerraform does; its applies announce themselves on applying and
// then block until release is closed (ignoring cancellation, as a hung process would), or panic.
type stuckTerraform struct {
	fakeTerraform
	applying chan struct{}
	release  chan struct{}
	panics   bool
	timesOut bool
	once     sync.Once
}

func (s *stuckTerraform) Apply(ctx context.Context, req terraform.ApplyRequest) (*terraform.ApplyResult, error) {
	s.once.Do(func() { close(s.applying) })
	if s.panics {
		panic("terraform runner bug")
	}
	if s.timesOut {
		return nil, fmt.Errorf("terraform apply did not finish within its timeout: %w", context.DeadlineExceeded)
	}
	<-s.release
	return nil, ctx.Err()
}

// cutOff is a merge whose apply of production is queued, with stuck Terraform.
func cutOff(t *testing.T, panics bool) (*world, *stuckTerraform, *flow.AbandonedReporter) {
	return cutOffWith(t, &stuckTerraform{panics: panics})
}

func cutOffWith(t *testing.T, tf *stuckTerraform) (*world, *stuckTerraform, *flow.AbandonedReporter) {
	t.Helper()
	w := newWorld(t)
	planned(t, w, "fast", "fast")
	tf.applying, tf.release = make(chan struct{}), make(chan struct{})
	w.deps.Terraform = tf
	t.Cleanup(func() {
		select {
		case <-tf.release:
		default:
			close(tf.release)
		}
	})
	routed, err := w.intake.Route("pull_request", "merge", merged(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.RecordDelivery(context.Background(), store.Delivery{ID: "merge", Event: "pull_request"}, routed.Jobs); err != nil {
		t.Fatal(err)
	}
	return w, tf, &flow.AbandonedReporter{GitHub: w.deps.GitHub, Store: w.st}
}

func newCutOffPool(w *world, r *flow.AbandonedReporter, singleReplica bool) *job.Pool {
	return &job.Pool{Store: w.st, Handlers: flow.Handlers(w.deps), Workers: 2, Lease: time.Minute, Poll: 10 * time.Millisecond,
		Drain: 200 * time.Millisecond, SingleReplica: singleReplica, Reporter: r, Log: slog.New(slog.DiscardHandler)}
}

// applyEnded waits until the apply's check run and GitHub Deployment have ended, and returns
// the check run's conclusion and summary and the deployment's last state.
func applyEnded(t *testing.T, w *world) (conclusion, summary, deployment string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var run *githubfake.CheckRun
		for _, cr := range w.gh.CheckRuns(repo) {
			if cr.Name == "gantry/apply: production" {
				run = &cr
			}
		}
		state := ""
		for _, d := range w.gh.Deployments(repo) {
			for _, s := range w.gh.DeploymentStatuses(d.ID) {
				state = s.State
			}
		}
		if run != nil && run.Status == "completed" && state != "in_progress" && state != "" {
			return run.Conclusion, run.Summary, state
		}
	}
	t.Fatalf("the apply's check run or deployment never ended: %+v", w.gh.CheckRuns(repo))
	return
}

// endedUnderPool runs a pool until the apply's check run and deployment have ended.
func endedUnderPool(t *testing.T, w *world, r *flow.AbandonedReporter) (conclusion, summary, deployment string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- newCutOffPool(w, r, false).Run(ctx) }()
	defer func() { stop(); <-done }()
	return applyEnded(t, w)
}

// A worker that dies mid-apply (its lease runs out; here: a restarted server finds the job) leaves
// no check run in progress and no deployment in progress: the server that finds the job ends them.
func TestAnApplyCutOffByACrashEndsItsCheckRunAndDeployment(t *testing.T) {
	t.Parallel()
	w, tf, r := cutOff(t, false)
	// The dead worker: it claimed the merge and its apply, opened the check run and the
	// deployment, and hangs in Terraform.
	ctx := context.Background()
	handlers := flow.Handlers(w.deps)
	for range 2 {
		j, ok, err := w.st.ClaimJob(ctx, "dead-worker", time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		h, _ := handlers.Handler(j.Kind)
		if j.Kind == flow.KindApply {
			go h.Run(ctx, j, slog.New(slog.DiscardHandler))
			break
		}
		res, err := h.Run(ctx, j, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("the merge's job: %v", err)
		}
		if err := w.st.FinishJob(ctx, j.ID, "dead-worker", store.Outcome{State: store.Succeeded, Result: res}); err != nil {
			t.Fatal(err)
		}
	}
	<-tf.applying
	// The restarted server recovers the job at start.
	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- newCutOffPool(w, r, true).Run(pctx) }()
	conclusion, summary, deployment := applyEnded(t, w)
	// The apply had written no comment of its own yet, so the report is a reply: one report.
	told, reports := false, 0
	for deadline := time.Now().Add(30 * time.Second); !told && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		reports = 0
		for _, c := range w.gh.Comments(repo, 2) {
			if strings.Contains(c.Body, "did not finish") {
				reports++
			}
		}
		told = reports > 0
	}
	if reports != 1 {
		t.Errorf("%d comments report the cut-off apply, want its own comment only", reports)
	}
	stop()
	<-done
	if conclusion != "failure" || !strings.Contains(summary, "stays locked by this pull request. Comment `/apply` to apply again") || deployment != "error" {
		t.Errorf("check run %s (%q), deployment %s; want failure saying how to apply again, and error", conclusion, summary, deployment)
	}
	if !told {
		t.Errorf("the pull request was not told: %q", w.replies(t, 2))
	}
}

// A panic in the middle of an apply: the job fails, and what it opened is ended.
func TestAnApplyCutOffByAPanicEndsItsCheckRunAndDeployment(t *testing.T) {
	t.Parallel()
	w, _, r := cutOff(t, true)
	conclusion, _, deployment := endedUnderPool(t, w, r)
	if conclusion != "failure" || deployment != "error" {
		t.Errorf("check run %s, deployment %s; want failure and error", conclusion, deployment)
	}
}

// A shutdown past its grace period: the apply is stopped, and nothing stays in progress.
func TestAnApplyCutOffByAShutdownEndsItsCheckRunAndDeployment(t *testing.T) {
	t.Parallel()
	w, tf, r := cutOff(t, false)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- newCutOffPool(w, r, false).Run(ctx) }()
	<-tf.applying
	stop() // SIGTERM: the grace (Drain) passes while Terraform hangs, then Terraform is released
	time.AfterFunc(300*time.Millisecond, func() { close(tf.release) })
	<-done
	conclusion, _, deployment := applyEnded(t, w)
	if conclusion != "failure" || (deployment != "error" && deployment != "failure") {
		t.Errorf("check run %s, deployment %s; want both ended as failed", conclusion, deployment)
	}
}

// A job cut off after it wrote its own comment has that comment updated in place, not a reply.
func TestACutOffJobsOwnCommentIsUpdatedInPlace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2})
	ctx := context.Background()
	j, err := w.st.EnqueueJob(ctx, store.NewJob{Kind: flow.KindApply, Repo: repo, PR: 2, InstallationID: 7})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := gh.ParseRepo(repo)
	marker := "<!-- gantry:apply=production -->"
	ids, err := w.deps.GitHub(7).UpsertComment(ctx, r, 2, marker, "### applying `production`…")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.RecordGitHubObject(ctx, store.GitHubObject{JobID: j.ID, Kind: store.GitHubComment, ID: ids[0], Name: marker}); err != nil {
		t.Fatal(err)
	}
	j.State, j.Error = store.Failed, "the worker running it stopped"
	if err := (&flow.AbandonedReporter{GitHub: w.deps.GitHub, Store: w.st}).ReportAbandoned(ctx, j); err != nil {
		t.Fatal(err)
	}
	comments := w.gh.Comments(repo, 2)
	if len(comments) != 1 || !strings.HasPrefix(comments[0].Body, marker) || !strings.Contains(comments[0].Body, "did not finish") {
		t.Errorf("comments %+v, want the apply's own comment updated to say it was cut off", comments)
	}
}

// A server that died after failing a cut-off job but before reporting it: the next server's
// sweep ends the job's check run and reports it, once however often it sweeps.
func TestAReportCutOffItselfIsFinishedByTheNextServer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 2})
	ctx := context.Background()
	j, err := w.st.EnqueueJob(ctx, store.NewJob{Kind: flow.KindApply, Repo: repo, PR: 2, InstallationID: 7, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := gh.ParseRepo(repo)
	check, err := w.deps.GitHub(7).CreateCheckRun(ctx, r, gh.CheckRun{Name: "gantry/apply: production", HeadSHA: mergeSHA, Status: "in_progress"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.RecordGitHubObject(ctx, store.GitHubObject{JobID: j.ID, Kind: store.GitHubCheckRun, ID: check, Name: "gantry/apply: production"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.st.ClaimJob(ctx, "dead", time.Millisecond); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	// The dead server's successor failed the job and died before reporting it.
	if _, err := w.st.ExpireLeases(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rep := &flow.AbandonedReporter{GitHub: w.deps.GitHub, Store: w.st}
	for range 2 {
		pctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- newCutOffPool(w, rep, true).Run(pctx) }()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if left, _ := w.st.LeftOpen(ctx, 10); len(left) == 0 {
				break
			}
		}
		stop()
		<-done
	}
	var run githubfake.CheckRun
	for _, cr := range w.gh.CheckRuns(repo) {
		run = cr
	}
	if run.Status != "completed" || run.Conclusion != "failure" {
		t.Errorf("the check run is %s %s, want completed failure", run.Status, run.Conclusion)
	}
	reports := 0
	for _, c := range w.gh.Comments(repo, 2) {
		if strings.Contains(c.Body, "did not finish") {
			reports++
		}
	}
	if reports != 1 {
		t.Errorf("the job was reported %d times, want once", reports)
	}
}

// An apply whose Terraform runs out of time: the job fails, and its check run and deployment end.
func TestAnApplyThatTimesOutEndsItsCheckRunAndDeployment(t *testing.T) {
	t.Parallel()
	w, _, r := cutOffWith(t, &stuckTerraform{timesOut: true})
	conclusion, _, deployment := endedUnderPool(t, w, r)
	if conclusion != "failure" || (deployment != "failure" && deployment != "error") {
		t.Errorf("check run %s, deployment %s; want both ended as failed", conclusion, deployment)
	}
}
