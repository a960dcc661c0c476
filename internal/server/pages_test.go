package server_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/server"
	"github.com/classla/gantry/internal/store"
)

// leakedSecret is a token the server knows (its filter has it) that a job's Terraform printed.
const leakedSecret = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

// fixture is what seed stores: jobs and deployments of every kind the pages show.
type fixture struct {
	// Failed ran in GitHub Actions, failed, and left a log naming leakedSecret and carrying markup.
	Failed store.Job
	// Local ran in the server's worker pool and succeeded: it has no log.
	Local store.Job
	// Canceling is running with a cancel requested.
	Canceling store.Job
	// Deployments of classla/lms's backend, oldest first: 1 success (rev 41), 2 success (rev 42),
	// 3 failure, 4 rollback of 2 to rev 41 (success, so it runs now).
	Deployments []store.Deployment
}

// runJob queues a job and claims it at once (ClaimJob takes the oldest queued job, so every
// job is claimed before the next one is queued).
func runJob(t testing.TB, st store.Store, nj store.NewJob) store.Job {
	t.Helper()
	ctx := context.Background()
	queued, err := st.EnqueueJob(ctx, nj)
	if err != nil {
		t.Fatal(err)
	}
	j, ok, err := st.ClaimJob(ctx, "worker-1", time.Minute)
	if err != nil || !ok || j.ID != queued.ID {
		t.Fatalf("claiming job %d: got %d, %v, %v", queued.ID, j.ID, ok, err)
	}
	return j
}

func seed(t testing.TB, st store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	var f fixture

	j := runJob(t, st, store.NewJob{Kind: "apply", Repo: "classla/lms", PR: 42, SHA: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", MaxAttempts: 2})
	ref, err := st.DispatchJob(ctx, j.ID, "production")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimRunnerJob(ctx, ref, "hash-of-the-job-token"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRunID(ctx, ref, 8812); err != nil {
		t.Fatal(err)
	}
	log := "Initializing the backend...\n" +
		"aws_ecs_service.backend: Modifying... [id=arn:aws:ecs:us-east-1:123456789012:service/lms/backend]\n" +
		"the token is " + leakedSecret + "\n" +
		"<script>document.title='pwned'</script>\n" +
		"Error: creating ECS Service: InvalidParameterException: unable to assume role\n"
	if err := st.AppendRunnerLog(ctx, ref, "hash-of-the-job-token", []byte(log), 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishJob(ctx, j.ID, "worker-1", store.Outcome{State: store.Failed,
		Error: "project production: terraform apply: exit status 1 <img src=x onerror=alert(1)> with " + leakedSecret}); err != nil {
		t.Fatal(err)
	}
	if f.Failed, err = st.GetJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}

	j = runJob(t, st, store.NewJob{Kind: "plan", Repo: "classla/lms", PR: 43, SHA: "2c26b46b68ffc68ff99b453c1d30413413422d70"})
	if err := st.FinishJob(ctx, j.ID, "worker-1", store.Outcome{State: store.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if f.Local, err = st.GetJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}

	j = runJob(t, st, store.NewJob{Kind: "plan", Repo: "classla/lms", PR: 44, SHA: "fcde2b2edba56bf408601fb721fe9b5c338d10ee", Key: "classla/lms#44"})
	if _, err := st.CancelJobs(ctx, "classla/lms#44", 0); err != nil {
		t.Fatal(err)
	}
	if f.Canceling, err = st.GetJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}

	start := time.Now().Add(-3 * time.Hour)
	td := func(rev int) string {
		return "arn:aws:ecs:us-east-1:123456789012:task-definition/lms-backend:" + strconv.Itoa(rev)
	}
	for i, d := range []store.Deployment{
		{SHA: "1111111aaaaaaaa", PR: 38, Actor: "alice", State: store.DeploymentSuccess, TaskDefAfter: td(41)},
		{SHA: "2222222bbbbbbbb", PR: 40, Actor: "bob", State: store.DeploymentSuccess, TaskDefAfter: td(42)},
		{SHA: "3333333cccccccc", PR: 42, Actor: "carol", State: store.DeploymentFailure, TaskDefAfter: td(43),
			Error: "targets stayed unhealthy: Target.ResponseCodeMismatch <b>502</b>"},
		{SHA: "1111111aaaaaaaa", Actor: "dave", State: store.DeploymentSuccess, TaskDefAfter: td(41), RollbackOf: -2},
	} {
		d.Repo, d.Service = "classla/lms", "backend"
		d.ImageDigest = fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(d.SHA+strconv.Itoa(i))))
		d.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lms-backend@" + d.ImageDigest
		d.StartedAt = start.Add(time.Duration(i) * 40 * time.Minute)
		d.FinishedAt = d.StartedAt.Add(3*time.Minute + 12*time.Second)
		if d.RollbackOf < 0 {
			d.RollbackOf = f.Deployments[-d.RollbackOf-1].ID
		}
		created, err := st.CreateDeployment(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		f.Deployments = append(f.Deployments, created)
	}
	return f
}

// pagesServer is a server on a seeded store whose filter knows leakedSecret.
func pagesServer(t *testing.T) (*server.Server, fixture) {
	t.Helper()
	s, st := newServer(t)
	s.Redact = redact.New()
	s.Redact.Add(leakedSecret)
	return s, seed(t, st)
}

func mustContain(t *testing.T, page, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("the %s lacks %q", page, want)
		}
	}
}

func TestJobPageShowsAFailedJobsFactsErrorAndLog(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	code, body := get(t, s.Handler(), "GET", server.JobPath(f.Failed.ID))
	if code != http.StatusOK {
		t.Fatalf("job page: %d\n%s", code, body)
	}
	mustContain(t, "job page", body,
		fmt.Sprintf("Job %d: apply", f.Failed.ID),
		`<a href="https://github.com/classla/lms">classla/lms</a>`,
		`<a href="https://github.com/classla/lms/pull/42">#42</a>`,
		`<a href="https://github.com/classla/lms/commit/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b">`,
		`class="state state-failed">failed</span>`,
		"1 of 2", // attempts
		f.Failed.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		f.Failed.FinishedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		"environment <code>production</code>",
		`<a href="https://github.com/classla/lms/actions/runs/8812">workflow run</a>`,
		"project production: terraform apply: exit status 1",
		"Error: creating ECS Service: InvalidParameterException: unable to assume role",
	)
}

// A pull request's Terraform prints what it likes into the log, and error texts quote it: the
// page shows them as text.
func TestAJobsOutputCannotInjectMarkupIntoItsPage(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	_, body := get(t, s.Handler(), "GET", server.JobPath(f.Failed.ID))
	for _, bad := range []string{"<script>document.title", "<img src=x"} {
		if strings.Contains(body, bad) {
			t.Errorf("the job page carries %q unescaped", bad)
		}
	}
	mustContain(t, "job page", body, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")
}

// A secret the server knows never reaches the page, though the runner stored it in the log
// and the job's error quotes it.
func TestAJobsLogCannotShowASecretTheServerKnows(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	_, body := get(t, s.Handler(), "GET", server.JobPath(f.Failed.ID))
	if strings.Contains(body, leakedSecret) {
		t.Error("the job page shows a secret the server's filter knows")
	}
	mustContain(t, "job page", body, "the token is "+redact.Replacement, "with "+redact.Replacement)
}

func TestJobPageOfALocalJobSaysWhereItsLogIs(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	code, body := get(t, s.Handler(), "GET", server.JobPath(f.Local.ID))
	if code != http.StatusOK {
		t.Fatalf("job page: %d\n%s", code, body)
	}
	mustContain(t, "job page", body, `class="state state-succeeded">succeeded</span>`, "1 of 1",
		fmt.Sprintf("<code>job_id=%d</code>", f.Local.ID))
	if strings.Contains(body, `<h2>Error</h2>`) {
		t.Error("the page of a job that succeeded has an error section")
	}
}

func TestJobPageSaysACancelWasRequested(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	_, body := get(t, s.Handler(), "GET", server.JobPath(f.Canceling.ID))
	mustContain(t, "job page", body, "running (cancel requested)", "so far", "not yet")
}

func TestJobPageLinksToGitHubEnterpriseServer(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	s.WebURL = "https://github.example.com/"
	_, body := get(t, s.Handler(), "GET", server.JobPath(f.Failed.ID))
	mustContain(t, "job page", body, `href="https://github.example.com/classla/lms/pull/42"`,
		`href="https://github.example.com/classla/lms/actions/runs/8812"`)
	if strings.Contains(body, "https://github.com/") {
		t.Error("a page of a GitHub Enterprise Server installation links to github.com")
	}
}

// A log longer than the page shows is cut at its start: its end says what failed.
func TestJobPageShowsTheEndOfALongLog(t *testing.T) {
	t.Parallel()
	s, st := newServer(t)
	ctx := context.Background()
	j := runJob(t, st, store.NewJob{Kind: "apply", Repo: "classla/lms", SHA: "abc"})
	ref, err := st.DispatchJob(ctx, j.ID, "production")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimRunnerJob(ctx, ref, "h"); err != nil {
		t.Fatal(err)
	}
	long := "FIRST LINE\n" + strings.Repeat("é log line\n", 200_000) + "LAST LINE\n" // ~2.4 MB
	if err := st.AppendRunnerLog(ctx, ref, "h", []byte(long), 2<<20); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, s.Handler(), "GET", server.JobPath(j.ID))
	if strings.Contains(body, "FIRST LINE") || len(body) > 1<<20+64<<10 {
		t.Errorf("the page shows the whole log (%d bytes)", len(body))
	}
	mustContain(t, "job page", body, "are left out; this is the log's end", "what came after this was dropped")
	if strings.Contains(body, "\uFFFD") {
		t.Error("the cut split a character")
	}
}

func TestPagesOfUnknownThingsAre404(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	for _, path := range []string{
		server.JobPath(f.Canceling.ID + 100),
		"/jobs/0",
		"/jobs/-1",
		"/jobs/abc",
		"/jobs/1.5",
		"/jobs/%3Cscript%3E",
		server.ServicePath("classla/lms", "frontend"),
		server.ServicePath("classla/other", "backend"),
		"/services/classla/lms",
	} {
		code, body := get(t, s.Handler(), "GET", path)
		if code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("GET %s: the 404 page carries the path unescaped", path)
		}
	}
	_, body := get(t, s.Handler(), "GET", server.ServicePath("classla/lms", "frontend"))
	mustContain(t, "404 page", body, "no deployment of service &#34;frontend&#34; in classla/lms")
}

func TestServicePageListsDeploymentsNewestFirstWithRollbackTargets(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	code, body := get(t, s.Handler(), "GET", server.ServicePath("classla/lms", "backend"))
	if code != http.StatusOK {
		t.Fatalf("service page: %d\n%s", code, body)
	}
	d := f.Deployments
	row := func(i int) string {
		start := strings.Index(body, fmt.Sprintf(`<tr id="deployment-%d"`, d[i].ID))
		if start < 0 {
			t.Fatalf("the service page has no row for deployment %d", d[i].ID)
		}
		end := strings.Index(body[start:], "</tr>")
		return body[start : start+end]
	}
	if !(strings.Index(body, row(3)) < strings.Index(body, row(2)) && strings.Index(body, row(2)) < strings.Index(body, row(1)) &&
		strings.Index(body, row(1)) < strings.Index(body, row(0))) {
		t.Error("deployments are not listed newest first")
	}
	mustContain(t, "service page", body, "Service backend",
		fmt.Sprintf("Running now: deployment %d", d[3].ID), "task definition <code>lms-backend:41</code>")
	mustContain(t, "current deployment's row", row(3), `class="current"`, "running now",
		fmt.Sprintf(`rollback of <a href="#deployment-%d">%d</a>`, d[1].ID, d[1].ID), "dave")
	mustContain(t, "failed deployment's row", row(2), "failure", "targets stayed unhealthy: Target.ResponseCodeMismatch &lt;b&gt;502&lt;/b&gt;",
		`<a href="https://github.com/classla/lms/pull/42">#42</a>`)
	if strings.Contains(row(2), "/rollback") {
		t.Error("a failed deployment is offered as a rollback target")
	}
	mustContain(t, "older successful deployment's row", row(1), fmt.Sprintf("<code>/rollback backend --to %d</code>", d[1].ID),
		"lms-backend:42", d[1].ImageDigest[:19], "3m12s", `<a href="https://github.com/classla/lms/commit/2222222bbbbbbbb"><code>2222222</code></a>`)
	// Deployment 1 left revision 41 running, which runs again now: /rollback would refuse it.
	mustContain(t, "first deployment's row", row(0), "same revision as now")
	if strings.Contains(row(0), "--to") {
		t.Error("a deployment of the revision running now is offered as a rollback target")
	}
}

func TestServicePageWithoutASuccessfulDeploymentOffersNoRollback(t *testing.T) {
	t.Parallel()
	s, st := newServer(t)
	if _, err := st.CreateDeployment(context.Background(), store.Deployment{Repo: "classla/lms", Service: "worker", SHA: "abcdef123",
		State: store.DeploymentFailure, Error: "image build failed"}); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s.Handler(), "GET", server.ServicePath("classla/lms", "worker"))
	if code != http.StatusOK {
		t.Fatalf("service page: %d", code)
	}
	mustContain(t, "service page", body, "No deployment of this service has succeeded yet.", "image build failed")
	if strings.Contains(body, "--to ") || strings.Contains(body, "running now") {
		t.Error("a service that never deployed successfully shows a running or target deployment")
	}
}

func TestPathsEscapeTheirSegmentsAndReachTheirPages(t *testing.T) {
	t.Parallel()
	if got, want := server.JobPath(42), "/jobs/42"; got != want {
		t.Errorf("JobPath(42) = %q, want %q", got, want)
	}
	if got, want := server.ServicePath("classla/lms", "backend"), "/services/classla/lms/backend"; got != want {
		t.Errorf("ServicePath = %q, want %q", got, want)
	}
	odd := "api v2/<b>"
	if got, want := server.ServicePath("classla/lms", odd), "/services/classla/lms/api%20v2%2F%3Cb%3E"; got != want {
		t.Errorf("ServicePath with an odd name = %q, want %q", got, want)
	}
	s, st := newServer(t)
	if _, err := st.CreateDeployment(context.Background(), store.Deployment{Repo: "classla/lms", Service: odd, SHA: "abc", State: store.DeploymentSuccess}); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s.Handler(), "GET", server.ServicePath("classla/lms", odd))
	if code != http.StatusOK || !strings.Contains(body, "Service api v2/&lt;b&gt;") {
		t.Errorf("GET %s: %d\n%s", server.ServicePath("classla/lms", odd), code, body)
	}
}

func TestStatusPageLinksJobsAndServicesToTheirPages(t *testing.T) {
	t.Parallel()
	s, f := pagesServer(t)
	_, body := get(t, s.Handler(), "GET", "/")
	mustContain(t, "status page", body,
		fmt.Sprintf(`<a href="/jobs/%d">%d</a>`, f.Canceling.ID, f.Canceling.ID),
		`<a href="/services/classla/lms/backend">backend</a>`)
}
