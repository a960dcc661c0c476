package githubfake_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v62/github"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/fixtures"
	"github.com/classla/gantry/internal/testing/githubfake"
)

var lms = github.Repo{Owner: "classla", Name: "lms"}

// runnerFake is a fake holding classla/lms with the gantry workflow, and the App's client for
// installation 7.
func runnerFake(t *testing.T, opts ...githubfake.Option) (*githubfake.Server, *github.Client) {
	t.Helper()
	fake := githubfake.New(t, opts...)
	fake.AddRepo("classla", "lms", "main")
	fake.AddWorkflow("classla/lms", "gantry.yml")
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	return fake, app.Installation(7)
}

func TestOnDispatchStartsARunThatSeesTheDispatchAndMayCallTheFake(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	fake.SetTarball("classla/lms", "main", map[string]string{"main.tf": "# root\n"})

	var (
		mu      sync.Mutex
		started []githubfake.Dispatch
		read    []int // status of the run's own tarball request
	)
	fake.OnDispatch(func(d githubfake.Dispatch) {
		// The run reads its repository while the fake is serving others: the fake must not be locked.
		req, _ := http.NewRequest("GET", fake.URL()+"repos/classla/lms/tarball/main", nil)
		req.Header.Set("Authorization", "Bearer "+fake.ActionsToken(d.Repo))
		resp, err := http.DefaultClient.Do(req)
		mu.Lock()
		defer mu.Unlock()
		started = append(started, d)
		if err != nil {
			t.Errorf("the run's tarball request: %v", err)
			return
		}
		resp.Body.Close()
		read = append(read, resp.StatusCode)
	})

	inputs := map[string]string{"job_id": "j-1", "environment": "gantry-plan"}
	runID, err := client.DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", inputs)
	if err != nil {
		t.Fatalf("DispatchWorkflow: %v", err)
	}
	fake.WaitDispatched()

	mu.Lock()
	defer mu.Unlock()
	want := []githubfake.Dispatch{{
		Repo: "classla/lms", Workflow: "gantry.yml", Ref: "main", Inputs: inputs,
		ReturnRunDetails: true, RunID: runID,
	}}
	if diff := cmp.Diff(want, started); diff != "" {
		t.Errorf("the run started with (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{http.StatusOK}, read); diff != "" {
		t.Errorf("the run read its tarball with statuses (-want +got):\n%s", diff)
	}
}

func TestWaitDispatchedWaitsForARunStillGoing(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	release := make(chan struct{})
	var finished sync.WaitGroup
	finished.Add(1)
	fake.OnDispatch(func(githubfake.Dispatch) {
		<-release
		finished.Done()
	})
	if _, err := client.DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", nil); err != nil {
		t.Fatalf("DispatchWorkflow: %v", err)
	}

	waited := make(chan struct{})
	go func() {
		fake.WaitDispatched()
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("WaitDispatched returned while the run was still going")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("WaitDispatched did not return once the run ended")
	}
	finished.Wait()
}

func TestARefusedDispatchStartsNoRun(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	fake.OnDispatch(func(d githubfake.Dispatch) { t.Errorf("a run started for %+v", d) })
	if _, err := client.DispatchWorkflow(t.Context(), lms, "other.yml", "main", nil); err == nil {
		t.Fatal("dispatching a workflow the repository lacks succeeded")
	}
	fake.WaitDispatched()
}

func TestAnActionsTokenReadsOnlyItsOwnRepository(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	fake.AddRepo("classla", "secrets", "main")
	fake.AddWorkflow("classla/lms", "gantry.yml")
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	fake.SetTarball("classla/lms", "main", map[string]string{"main.tf": "# root\n"})
	fake.SetTarball("classla/secrets", "main", map[string]string{"main.tf": "# secret\n"})
	fake.SetFile("classla/lms", "main", ".gantry.yaml", "version: 1\n")
	const commitSHA = "abcdef0123456789abcdef0123456789abcdef01"
	fake.SetCommit("classla/lms", commitSHA, []string{"main.tf"}, nil)
	fake.SetCompare("classla/lms", "main", "feature-7", 1, 0)
	token := "Bearer " + fake.ActionsToken("classla/lms")

	api := fake.URL() + "repos/classla/lms/"
	tests := []struct {
		name, method, url, body string
		want                    int
	}{
		{name: "it downloads its repository's tarball", method: "GET", url: api + "tarball/main", want: 200},
		{name: "it reads a file", method: "GET", url: api + "contents/.gantry.yaml", want: 200},
		{name: "it reads a commit", method: "GET", url: api + "commits/" + commitSHA, want: 200},
		{name: "it compares two refs", method: "GET", url: api + "compare/main...feature-7", want: 200},
		{name: "it may not comment", method: "POST", url: api + "issues/7/comments", body: `{"body":"hi"}`, want: 403},
		{name: "it may not create a check run", method: "POST", url: api + "check-runs", body: `{"name":"x","head_sha":"` + commitSHA + `"}`, want: 403},
		{name: "it may not dispatch a workflow", method: "POST", url: api + "actions/workflows/gantry.yml/dispatches", body: `{"ref":"main"}`, want: 403},
		{name: "it may not create a deployment", method: "POST", url: api + "deployments", body: `{"ref":"main"}`, want: 403},
		{name: "it may not read a pull request", method: "GET", url: api + "pulls/7", want: 403},
		{name: "it may not read a permission", method: "GET", url: api + "collaborators/octocat/permission", want: 403},
		{name: "it may not read another repository", method: "GET", url: fake.URL() + "repos/classla/secrets/tarball/main", want: 403},
		{name: "it is not the App", method: "GET", url: fake.URL() + "app", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, _, answer := do(t, tt.method, tt.url, token, tt.body)
			if status != tt.want {
				t.Fatalf("answered %d (%v), want %d", status, answer, tt.want)
			}
			if status == 403 && answer["message"] != "Resource not accessible by integration" {
				t.Errorf("the refusal says %q, want GitHub's %q", answer["message"], "Resource not accessible by integration")
			}
		})
	}
	t.Cleanup(func() {
		if n := len(fake.Comments("classla/lms", 7)) + len(fake.CheckRuns("classla/lms")) +
			len(fake.Dispatches("classla/lms")) + len(fake.Deployments("classla/lms")); n != 0 {
			t.Errorf("the refused writes left %d things on GitHub", n)
		}
	})
}

func TestAnActionsTokenExpires(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t, githubfake.WithTokenLifetime(time.Nanosecond))
	fake.AddRepo("classla", "lms", "main")
	fake.SetTarball("classla/lms", "main", map[string]string{"main.tf": ""})
	token := fake.ActionsToken("classla/lms")
	if !strings.HasPrefix(token, "ghs_") {
		t.Errorf("the token %q does not look like a GitHub Actions token (ghs_…)", token)
	}
	time.Sleep(time.Millisecond)
	if status, _, _ := do(t, "GET", fake.URL()+"repos/classla/lms/tarball/main", "Bearer "+token, ""); status != 401 {
		t.Errorf("an expired token answered %d, want 401", status)
	}
}

func TestRequestsRecordWhichTokenMadeThem(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	fake.SetTarball("classla/lms", "main", map[string]string{"main.tf": ""})
	if _, err := client.DispatchWorkflow(t.Context(), lms, "gantry.yml", "main", nil); err != nil {
		t.Fatalf("DispatchWorkflow: %v", err)
	}
	runner, err := github.NewTokenClient(github.TokenConfig{BaseURL: fake.URL(), Token: fake.ActionsToken("classla/lms")})
	if err != nil {
		t.Fatalf("NewTokenClient: %v", err)
	}
	if err := runner.Tarball(t.Context(), lms, "main", io.Discard); err != nil {
		t.Fatalf("Tarball with the Actions token: %v", err)
	}

	type seen struct {
		Method, Route string
		Kind          githubfake.TokenKind
	}
	var got []seen
	for _, r := range fake.Requests() {
		got = append(got, seen{r.Method, r.Route, r.TokenKind})
	}
	want := []seen{
		{"POST", "/app/installations/{installation_id}/access_tokens", githubfake.TokenApp},
		{"POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", githubfake.TokenInstallation},
		{"GET", "/repos/{owner}/{repo}/tarball/{ref}", githubfake.TokenActions},
		// The redirect: the fake serves the download host on its own origin, so the client sends the token.
		{"GET", "/_codeload/{owner}/{repo}/legacy.tar.gz/{ref}", githubfake.TokenActions},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests recorded (-want +got):\n%s", diff)
	}
}

func TestRepoIDIsTheIDTheAPIAnswers(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	if _, err := client.PullRequest(t.Context(), lms, 7); err != nil {
		t.Fatalf("PullRequest: %v", err)
	}
	reqs := fake.Requests()
	var pull struct {
		Base struct {
			Repo struct {
				ID int64 `json:"id"`
			} `json:"repo"`
		} `json:"base"`
	}
	if err := json.Unmarshal(reqs[len(reqs)-1].Response, &pull); err != nil {
		t.Fatal(err)
	}
	if pull.Base.Repo.ID == 0 || fake.RepoID("classla/lms") != pull.Base.Repo.ID {
		t.Errorf("RepoID = %d, the API answers %d", fake.RepoID("classla/lms"), pull.Base.Repo.ID)
	}
}

// dispatched dispatches the gantry workflow on ref and returns what the fake recorded.
func dispatched(t *testing.T, fake *githubfake.Server, client *github.Client, ref string) githubfake.Dispatch {
	t.Helper()
	if _, err := client.DispatchWorkflow(t.Context(), lms, "gantry.yml", ref, map[string]string{"job_id": "j-1"}); err != nil {
		t.Fatalf("DispatchWorkflow: %v", err)
	}
	ds := fake.Dispatches("classla/lms")
	return ds[len(ds)-1]
}

func TestWorkflowRunCompletedIsTheRunTheDispatchStarted(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	for _, ref := range []string{"main", "refs/heads/main"} {
		t.Run("dispatched on "+ref, func(t *testing.T) {
			d := dispatched(t, fake, client, ref)
			payload := fake.WorkflowRunCompleted(d, "cancelled")

			parsed, err := gh.ParseWebHook("workflow_run", payload)
			if err != nil {
				t.Fatalf("go-github cannot parse the payload: %v", err)
			}
			ev, ok := parsed.(*gh.WorkflowRunEvent)
			if !ok {
				t.Fatalf("parsed as %T", parsed)
			}
			run := ev.GetWorkflowRun()
			got := map[string]any{
				"action": ev.GetAction(), "run id": run.GetID(), "status": run.GetStatus(),
				"conclusion": run.GetConclusion(), "link": run.GetHTMLURL(), "branch": run.GetHeadBranch(),
				"event": run.GetEvent(), "workflow path": ev.GetWorkflow().GetPath(), "run's path": runPath(t, payload), "repository": ev.GetRepo().GetFullName(),
				"repository id": ev.GetRepo().GetID(), "default branch": ev.GetRepo().GetDefaultBranch(),
				"installation": ev.GetInstallation().GetID(), "run's repository": run.GetRepository().GetFullName(),
			}
			want := map[string]any{
				"action": "completed", "run id": d.RunID, "status": "completed", "conclusion": "cancelled",
				"link": fmt.Sprintf("https://github.com/classla/lms/actions/runs/%d", d.RunID), "branch": "main",
				"event": "workflow_dispatch", "workflow path": ".github/workflows/gantry.yml", "run's path": ".github/workflows/gantry.yml",
				"repository": "classla/lms", "repository id": fake.RepoID("classla/lms"), "default branch": "main",
				"installation": int64(7), "run's repository": "classla/lms",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the workflow_run payload says (-want +got):\n%s", diff)
			}
			checkWebhook(t, "webhook-workflow-run-completed", payload)
		})
	}
}

// runPath is workflow_run.path, which go-github's WorkflowRun leaves out.
func runPath(t *testing.T, payload []byte) string {
	t.Helper()
	var p struct {
		Run struct {
			Path string `json:"path"`
		} `json:"workflow_run"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Run.Path
}

func TestWorkflowJobCompletedIsTheJobOfTheRun(t *testing.T) {
	t.Parallel()
	fake, client := runnerFake(t)
	d := dispatched(t, fake, client, "main")
	payload := fake.WorkflowJobCompleted(d, "failure")

	parsed, err := gh.ParseWebHook("workflow_job", payload)
	if err != nil {
		t.Fatalf("go-github cannot parse the payload: %v", err)
	}
	ev, ok := parsed.(*gh.WorkflowJobEvent)
	if !ok {
		t.Fatalf("parsed as %T", parsed)
	}
	job := ev.GetWorkflowJob()
	if ev.GetAction() != "completed" || job.GetRunID() != d.RunID || job.GetStatus() != "completed" ||
		job.GetConclusion() != "failure" || ev.GetRepo().GetFullName() != "classla/lms" || ev.GetInstallation().GetID() != 7 {
		t.Errorf("the workflow_job payload says action %q, run %d, %s/%s, in %s, installation %d; want completed, run %d, completed/failure, in classla/lms, installation 7",
			ev.GetAction(), job.GetRunID(), job.GetStatus(), job.GetConclusion(), ev.GetRepo().GetFullName(), ev.GetInstallation().GetID(), d.RunID)
	}
	if link := fmt.Sprintf("https://github.com/classla/lms/actions/runs/%d/job/", d.RunID); !strings.HasPrefix(job.GetHTMLURL(), link) {
		t.Errorf("the job's link %q is not a job of the run (%s…)", job.GetHTMLURL(), link)
	}
	// Every field of a real delivery is there.
	var real, ours struct {
		Job map[string]any `json:"workflow_job"`
	}
	if err := json.Unmarshal(fixtures.Webhook(t, "workflow_job.completed.1"), &real); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &ours); err != nil {
		t.Fatal(err)
	}
	for field := range real.Job {
		if _, ok := ours.Job[field]; !ok {
			t.Errorf("workflow_job.%s, present in GitHub's delivery, is missing", field)
		}
	}
	checkWebhook(t, "webhook-workflow-job-completed", payload)
}

// webhookSchemas are GitHub's descriptions of the workflow_run and workflow_job deliveries, from the
// same OpenAPI description the conformance test uses.
var webhookSchemas = sync.OnceValues(func() (*openapi3.T, error) {
	f, err := os.Open("testdata/api.github.com.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var full rawDescription
	if err := json.NewDecoder(gz).Decode(&full); err != nil {
		return nil, err
	}
	// prune keeps what paths reference: one stand-in operation references the webhook schemas.
	const stand = "/_webhooks"
	op := `{"post":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{"oneOf":[` +
		`{"$ref":"#/components/schemas/webhook-workflow-run-completed"},` +
		`{"$ref":"#/components/schemas/webhook-workflow-job-completed"}]}}}}}}}`
	var item map[string]json.RawMessage
	if err := json.Unmarshal([]byte(op), &item); err != nil {
		return nil, err
	}
	full.Paths = map[string]map[string]json.RawMessage{stand: item}
	pruned, err := full.prune([]githubfake.Route{{Method: "POST", Path: stand, API: true}})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(pruned)
	if err != nil {
		return nil, err
	}
	return openapi3.NewLoader().LoadFromData(b)
})

// checkWebhook validates payload against GitHub's schema of the delivery.
func checkWebhook(t *testing.T, schema string, payload []byte) {
	t.Helper()
	doc, err := webhookSchemas()
	if err != nil {
		t.Fatalf("GitHub's webhook schemas: %v", err)
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatalf("the payload is not JSON: %v", err)
	}
	if err := doc.Components.Schemas[schema].Value.VisitJSON(v, schemaOptions...); err != nil {
		t.Errorf("the payload does not match GitHub's %s: %v", schema, err)
	}
}
