package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/classla/gantry/internal/testing/awsfake"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/oidcfake"
	"github.com/classla/gantry/internal/testing/pgtest"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// These tests run the Actions executor end to end: gantry serve with GANTRY_EXECUTOR=actions, and for
// every workflow dispatch the fake GitHub accepts, `gantry run` as a subprocess with the environment a
// GitHub Actions runner gives it — an OIDC token endpoint (the fake issuer), the run's GITHUB_TOKEN, the
// API URL and run id. The STS fake trusts the issuer as AWS would: by the token's signature, audience
// and `repo:OWNER/REPO:environment:NAME` subject.

// asCLI makes the test binary run the gantry command line instead of the tests: the runner subprocesses
// are this binary.
const asCLI = "GANTRY_TEST_BINARY_IS_GANTRY"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	pgtest.Main(m)
}

// actionsE2E is a server running jobs in (fake) GitHub Actions runners.
type actionsE2E struct {
	*e2e
	issuer *oidcfake.Issuer
	sts    *awsfake.STS
	public string
	// runnerEnv is more of the runners' environment.
	runnerEnv map[string]string
	// runners run a runner for each dispatch; false leaves dispatches unclaimed.
	mu      sync.Mutex
	runners bool
	started []*runnerProcess
}

// runnerProcess is one `gantry run` subprocess.
type runnerProcess struct {
	dispatch githubfake.Dispatch
	cmd      *exec.Cmd
	out      bytes.Buffer
	done     chan struct{}
	err      error
}

// freeAddr is a local address nobody listens on now: the server's public URL must be known before it starts,
// since runners' tokens name it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func startActions(t *testing.T, extra map[string]string) *actionsE2E {
	t.Helper()
	return startActionsWith(t, extra, nil, func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS)
	})
}

// startActionsWith is startActions with more of the runners' environment and a .gantry.yaml of its own.
func startActionsWith(t *testing.T, extra, runnerEnv map[string]string, config func(s3 *s3fake.Server, flavor string) string) *actionsE2E {
	t.Helper()
	a := &actionsE2E{issuer: oidcfake.New(t), sts: awsfake.NewSTS(t), runners: true, runnerEnv: runnerEnv}
	addr := freeAddr(t)
	a.public = "http://" + addr
	env := map[string]string{"GANTRY_EXECUTOR": "actions", "GANTRY_ADDR": addr, "GANTRY_PUBLIC_URL": a.public,
		"GANTRY_ACTIONS_OIDC_ISSUER": a.issuer.URL()}
	for k, v := range extra {
		env[k] = v
	}
	a.e2e = startServerWith(t, "GANTRY_TERRAFORM_BIN", config, env, func(fake *githubfake.Server) {
		fake.AddWorkflow(e2eRepo, "gantry.yml")
		fake.OnDispatch(a.dispatched)
	})
	// Each role trusts its environment's runs only, as terraform/modules/github_oidc writes the trust.
	a.sts.TrustOIDC(productionPlanRole, a.issuer.URL(), "sts.amazonaws.com", "repo:"+e2eRepo+":environment:gantry-plan")
	a.sts.TrustOIDC(productionRole, a.issuer.URL(), "sts.amazonaws.com", "repo:"+e2eRepo+":environment:production")
	t.Cleanup(func() {
		for _, p := range a.processes() {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
			if t.Failed() {
				t.Logf("runner of %s (%s) ended with %v:\n%s", p.dispatch.Inputs["job_id"], p.dispatch.Inputs["environment"], p.err, p.out.String())
			}
		}
	})
	return a
}

func (a *actionsE2E) processes() []*runnerProcess {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*runnerProcess(nil), a.started...)
}

// dispatched plays GitHub Actions: the dispatched workflow's run starts `gantry run --job ID` on a runner.
func (a *actionsE2E) dispatched(d githubfake.Dispatch) {
	a.mu.Lock()
	run := a.runners
	a.mu.Unlock()
	if !run {
		return
	}
	t := a.t
	claims := a.issuer.ActionsClaims(e2eRepo, strconv.FormatInt(a.gh.RepoID(e2eRepo), 10), "main", "gantry.yml",
		d.Inputs["environment"], "")
	claims["run_id"] = strconv.FormatInt(d.RunID, 10)
	reqURL, reqToken := a.issuer.Runner(claims)
	home := sandboxtest.Shared(t)
	bin, tf := os.Args[0], os.Getenv("GANTRY_TERRAFORM_BIN")
	cmd := exec.Command(bin, "run", "--job", d.Inputs["job_id"])
	cmd.Env = []string{asCLI + "=1", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "TMPDIR=" + home,
		"GANTRY_URL=" + a.public,
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + reqURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + reqToken,
		"GITHUB_TOKEN=" + a.gh.ActionsToken(e2eRepo), "GITHUB_API_URL=" + a.gh.URL(),
		"GITHUB_REPOSITORY=" + e2eRepo, "GITHUB_RUN_ID=" + strconv.FormatInt(d.RunID, 10),
		"AWS_ENDPOINT_URL_STS=" + a.sts.URL(), "AWS_REGION=us-east-1", "GANTRY_TERRAFORM_BIN=" + tf}
	for k, v := range a.runnerEnv {
		cmd.Env = append([]string{k + "=" + v}, cmd.Env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		// A runner is an unprivileged user, and tests never run a repository's Terraform as root.
		sb := sandboxtest.New(t)
		cmd.Path = sandboxtest.Binary(t, sb, bin)
		cmd.Env[len(cmd.Env)-1] = "GANTRY_TERRAFORM_BIN=" + sandboxtest.Binary(t, sb, tf)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(sb.UID()), Gid: uint32(sb.UID()), NoSetGroups: true}
	}
	p := &runnerProcess{dispatch: d, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		t.Errorf("starting the runner: %v", err)
		return
	}
	a.mu.Lock()
	a.started = append(a.started, p)
	a.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
}

// runnerOf waits for the runner started for the n-th dispatch (from 1).
func (a *actionsE2E) runnerOf(n int) *runnerProcess {
	a.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ps := a.processes(); len(ps) >= n {
			return ps[n-1]
		}
	}
	a.t.Fatalf("no runner started for dispatch %d", n)
	return nil
}

// wait waits for p to exit and returns its exit code.
func (p *runnerProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(90 * time.Second):
		t.Fatalf("runner of job %s still running after 90 s:\n%s", p.dispatch.Inputs["job_id"], p.out.String())
	}
	if p.cmd.ProcessState == nil {
		t.Fatalf("runner did not start: %v", p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

func TestJobsRunInGitHubActionsRunnersEndToEnd(t *testing.T) {
	t.Parallel()
	a := startActions(t, nil)
	head, merged := strings.Repeat("a", 40), strings.Repeat("d", 40)
	a.commit(head, map[string]string{"terraform/production/main.tf": tfFiles(2)})
	a.commit(merged, map[string]string{"terraform/production/main.tf": tfFiles(2)})

	// The pull request's plan: dispatched on the default branch into gantry-plan, run by the runner with the
	// plan role, reported by the server.
	pr := githubfake.PR{Number: 7, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	a.pullRequest("opened", pr)
	body := a.projectComment(7, "production", contains("Plan: 2 to add"))
	if code := a.runnerOf(1).wait(t); code != 0 {
		t.Errorf("the plan's runner exited %d, want 0", code)
	}
	if !strings.Contains(body, "terraform_data.task[1]") {
		t.Errorf("plan comment does not show the runner's plan:\n%s", body)
	}
	a.checkRun("gantry/plan: production", head, "success")

	// The merge: the apply runs in the project's environment with the apply role.
	a.merge(pr, merged)
	applied := a.applyComment(7, contains("applied `ddddddd`"))
	if !strings.Contains(applied, "Apply complete! Resources: 2 added") {
		t.Errorf("apply comment:\n%s", applied)
	}
	if code := a.runnerOf(2).wait(t); code != 0 {
		t.Errorf("the apply's runner exited %d, want 0", code)
	}
	if state, ok := a.s3.Object("tfstate", "production.tfstate"); !ok || !strings.Contains(string(state), `"task-1"`) {
		t.Errorf("the state has not the applied resources (found %v)", ok)
	}

	// Dispatches: the workflow on the default branch, exactly two inputs, and the run's id asked for.
	ds := a.gh.Dispatches(e2eRepo)
	if len(ds) != 2 {
		t.Fatalf("%d dispatches, want 2 (the plan, the apply)", len(ds))
	}
	for i, env := range []string{"gantry-plan", "production"} {
		d := ds[i]
		if d.Workflow != "gantry.yml" || d.Ref != "main" || !d.ReturnRunDetails || len(d.Inputs) != 2 ||
			d.Inputs["environment"] != env || len(d.Inputs["job_id"]) < 32 {
			t.Errorf("dispatch %d: %+v, want gantry.yml on main with inputs job_id (opaque) and environment %s", i+1, d, env)
		}
	}
	// AWS: each role was assumed by the runner's token of its environment, and by nothing else.
	var got []string
	for _, c := range a.sts.Issued() {
		got = append(got, c.RoleARN+" by "+c.Subject)
	}
	want := []string{productionPlanRole + " by repo:classla/lms:environment:gantry-plan",
		productionRole + " by repo:classla/lms:environment:production"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("STS issued:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// GitHub: the runners read with their GITHUB_TOKEN only, and never wrote.
	for _, r := range a.gh.Requests() {
		if r.TokenKind == githubfake.TokenActions && r.Method != "GET" {
			t.Errorf("a runner wrote to GitHub: %s %s", r.Method, r.Path)
		}
	}
	a.waitStatusPage(func(page string) bool { return strings.Contains(page, "No project is locked.") })
}

func TestADispatchNobodyClaimsFailsThePlanAndFreesTheProject(t *testing.T) {
	t.Parallel()
	a := startActions(t, map[string]string{"GANTRY_ACTIONS_CLAIM_TIMEOUT": "1s"})
	a.mu.Lock()
	a.runners = false // the workflow never runs: a runner pool that is down, an approval nobody gives
	a.mu.Unlock()
	head := strings.Repeat("b", 40)
	a.commit(head, map[string]string{"terraform/production/main.tf": tfFiles(1)})
	a.pullRequest("opened", githubfake.PR{Number: 8, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}})

	body := a.projectComment(8, "production", contains("no GitHub Actions runner claimed this job"))
	ds := a.gh.Dispatches(e2eRepo)
	if len(ds) != 1 {
		t.Fatalf("%d dispatches, want 1", len(ds))
	}
	if link := fmt.Sprintf("/%s/actions/runs/%d", e2eRepo, ds[0].RunID); !strings.Contains(body, link) {
		t.Errorf("the comment does not link the run (%s):\n%s", link, body)
	}
	a.checkRun("gantry/plan: production", head, "failure")
	a.waitStatusPage(func(page string) bool { return strings.Contains(page, "No project is locked.") })
}

func TestARunCancelledMidApplyFailsTheApplyWithItsLink(t *testing.T) {
	t.Parallel()
	a := startActions(t, nil)
	started := filepath.Join(sandboxtest.Shared(t), "started")
	slow := tfFiles(1) + fmt.Sprintf("\nresource \"terraform_data\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"touch %s && sleep 120\"\n  }\n}\n", started)
	head, merged := strings.Repeat("c", 40), strings.Repeat("e", 40)
	a.commit(head, map[string]string{"terraform/production/main.tf": slow})
	a.commit(merged, map[string]string{"terraform/production/main.tf": slow})
	pr := githubfake.PR{Number: 9, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf"}}
	a.pullRequest("opened", pr)
	a.projectComment(9, "production", contains("Plan: 2 to add"))
	a.merge(pr, merged)

	// The apply is under way in the runner; then the run is cancelled, which kills the runner.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the apply never started in the runner")
		}
	}
	p := a.runnerOf(2)
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	a.deliver("workflow_run", a.gh.WorkflowRunCompleted(p.dispatch, "cancelled"))

	body := a.applyComment(9, contains("apply of `eeeeeee` failed"))
	link := fmt.Sprintf("https://github.com/%s/actions/runs/%d", e2eRepo, p.dispatch.RunID)
	if !strings.Contains(body, "conclusion: cancelled") || !strings.Contains(body, link) {
		t.Errorf("the apply comment does not say the run was cancelled, with its link %s:\n%s", link, body)
	}
	a.checkRun("gantry/apply: production", merged, "failure")
	// The deployment's status is written after the comment.
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = fmt.Sprint(deploymentStates(a.e2e)); got == "[production:in_progress production:failure]" {
			break
		}
	}
	if got != "[production:in_progress production:failure]" {
		t.Errorf("deployment statuses %s, want in_progress then failure", got)
	}
}

func TestRunOutsideARunnerExits2NamingWhatIsMissing(t *testing.T) {
	t.Parallel()
	code, _, errOut := gantry(t, map[string]string{"GANTRY_URL": "gantry.example.com"}, "run", "--job", "3f9a1c0e7b5d42a8b6e1f0c9d8a7b6e5")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{`"gantry.example.com" is not an http(s) URL`, "ACTIONS_ID_TOKEN_REQUEST_URL", "id-token: write",
		"GITHUB_TOKEN is unset"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
}

func TestRunRefusedByTheServerExits1AndSaysWhy(t *testing.T) {
	t.Parallel()
	a := startActions(t, nil)
	claims := a.issuer.ActionsClaims(e2eRepo, strconv.FormatInt(a.gh.RepoID(e2eRepo), 10), "main", "gantry.yml", "production", "")
	reqURL, reqToken := a.issuer.Runner(claims)
	code, _, errOut := gantry(t, map[string]string{"GANTRY_URL": a.public, "ACTIONS_ID_TOKEN_REQUEST_URL": reqURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": reqToken, "GITHUB_TOKEN": a.gh.ActionsToken(e2eRepo), "GITHUB_API_URL": a.gh.URL()},
		"run", "--job", "00000000000000000000000000000000")
	if code != 1 || !strings.Contains(errOut, "no job was dispatched with this id") {
		t.Errorf("exit %d, stderr %q: want 1 saying the server knows no such job", code, errOut)
	}
	if strings.Contains(errOut, reqToken) {
		t.Errorf("stderr quotes the runner's request token")
	}
}

func TestAServiceIsDeployedAndRolledBackByRunnersEndToEnd(t *testing.T) {
	t.Parallel()
	reg, ecr, ecs, base := backendWorld(t)
	// The runners reach ECR, ECS and the registry; the server reaches none of them.
	a := startActionsWith(t, nil, map[string]string{"AWS_ENDPOINT_URL_ECR": ecr.URL(), "AWS_ENDPOINT_URL_ECS": ecs.URL(),
		"GANTRY_BUILDER": "oci", "GANTRY_ECS_POLL_INTERVAL": "5ms"}, func(s3 *s3fake.Server, flavor string) string {
		return s3Project(s3, flavor, "production", productionAWS) + backendService(base)
	})
	a.sts.TrustOIDC(deployRole, a.issuer.URL(), "sts.amazonaws.com", "repo:"+e2eRepo+":environment:backend")

	head, merged := strings.Repeat("a", 40), strings.Repeat("b", 40)
	files := map[string]string{"terraform/production/main.tf": tfFiles(1), "backend/server.js": "console.log('hi')\n"}
	a.commit(head, files)
	a.commit(merged, files)
	pr := githubfake.PR{Number: 11, User: "alice", HeadSHA: head, Files: []string{"terraform/production/main.tf", "backend/server.js"}}
	a.pullRequest("opened", pr)
	a.projectComment(11, "production", contains("Plan: 1 to add"))
	a.merge(pr, merged)
	a.applyComment(11, contains("applied `bbbbbbb`"))

	report := a.reply(11, "`backend` deployed `bbbbbbb`")
	digest := reg.Digest(t, reg.Host()+"/classla-backend:"+merged)
	if !strings.Contains(report, "@"+digest) || !strings.Contains(report, "classla-backend:1` → `classla-backend:2") {
		t.Errorf("report does not show the image digest %s and revision 1 → 2:\n%s", digest, report)
	}

	// A second pull request changes the backend only: no plan, a deploy.
	head2, merged2 := strings.Repeat("c", 40), strings.Repeat("e", 40)
	files["backend/server.js"] = "console.log('hello')\n"
	a.commit(head2, files)
	a.commit(merged2, files)
	pr2 := githubfake.PR{Number: 12, User: "alice", HeadSHA: head2, Files: []string{"backend/server.js"}}
	a.pullRequest("opened", pr2)
	a.merge(pr2, merged2)
	a.reply(12, "`backend` deployed `eeeeeee`")
	// The deployment job ends just after its comment; a /rollback before that is refused as "in
	// progress", rightly.
	a.waitIdle()

	// /rollback: a runner in the service's environment puts the first deployment's revision back.
	a.comment(12, "alice", "/rollback backend")
	rolled := a.reply(12, "rolled back to `bbbbbbb`")
	if !strings.Contains(rolled, "classla-backend:2") {
		t.Errorf("rollback reply does not name revision 2:\n%s", rolled)
	}
	var envs []string
	for _, d := range a.gh.Dispatches(e2eRepo) {
		envs = append(envs, d.Inputs["environment"])
	}
	if got := strings.Join(envs, ","); got != "gantry-plan,production,backend,backend,backend" {
		t.Errorf("dispatched into %s, want gantry-plan,production, then backend for two deploys and the rollback", got)
	}
	var got []string
	for _, c := range a.sts.Issued() {
		got = append(got, c.RoleARN+" by "+c.Subject)
	}
	want := []string{productionPlanRole + " by repo:classla/lms:environment:gantry-plan",
		productionRole + " by repo:classla/lms:environment:production",
		deployRole + " by repo:classla/lms:environment:backend", deployRole + " by repo:classla/lms:environment:backend",
		deployRole + " by repo:classla/lms:environment:backend"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("STS issued:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, r := range a.gh.Requests() {
		if r.TokenKind == githubfake.TokenActions && r.Method != "GET" {
			t.Errorf("a runner wrote to GitHub: %s %s", r.Method, r.Path)
		}
	}
}
