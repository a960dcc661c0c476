package flow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/workdir"
)

// runnerRemote plays a GitHub Actions runner in this process: it runs the job's code with flow.Execute
// and deps of its own (no store, its own work directories), and hands back what a runner would post,
// through JSON as on the wire. fail, when set, is returned instead, as the reaper would.
type runnerRemote struct {
	deps   flow.Deps // the runner's
	server flow.Deps // the server's, for the claim's input
	fail   *flow.RemoteError

	mu           sync.Mutex
	environments []string
}

func (r *runnerRemote) Execute(ctx context.Context, j store.Job, environment string, out any) error {
	r.mu.Lock()
	r.environments = append(r.environments, environment)
	r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	input, err := flow.RunnerInput(ctx, r.server, j)
	if err != nil {
		return err
	}
	outcome, err := flow.Execute(ctx, r.deps, j, input, slog.New(slog.DiscardHandler))
	if len(outcome) > 0 {
		if uerr := json.Unmarshal(outcome, out); uerr != nil {
			return uerr
		}
	}
	if err != nil {
		return errors.New(err.Error()) // only the text crosses the wire
	}
	return nil
}

// remoteWorld is a world whose plans run in a runnerRemote.
func remoteWorld(t *testing.T) (*world, *runnerRemote) {
	t.Helper()
	w := newWorld(t)
	r := &runnerRemote{deps: flow.Deps{GitHub: w.deps.GitHub, Terraform: &fakeTerraform{},
		Workdirs: &workdir.Manager{Root: filepath.Join(t.TempDir(), "runner-work")}}, server: w.deps}
	w.deps.Remote = r
	return w, r
}

func natProject(w *world) {
	w.gh.SetFile(repo, "main", ".gantry.yaml", "version: 1\nprojects:\n  - name: network\n    dir: net\n")
	w.gh.AddPullRequest(repo, githubfake.PR{Number: 9, Files: []string{"net/main.tf"}})
	w.gh.SetTarball(repo, fixtureHead, map[string]string{"net/main.tf": "nat"})
}

func TestAPlanRunInARunnerReadsAsOneRunInTheServer(t *testing.T) {
	t.Parallel()
	local := newWorld(t)
	remote, r := remoteWorld(t)
	var bodies []string
	for _, w := range []*world{local, remote} {
		w.deps.Catalog = cost.Embedded()
		natProject(w)
		jobs := w.deliver(t, "pull_request", prOpened(t, 9))
		got := w.replies(t, 9)
		if len(got) != 1 {
			t.Fatalf("comments %q, want the plan (last job %s %q)", got, jobs[len(jobs)-1].State, jobs[len(jobs)-1].Error)
		}
		bodies = append(bodies, got[0])
		saved, err := w.st.LatestPlan(context.Background(), repo, 9, "network")
		if err != nil || string(saved.File) != "binary plan" || !strings.Contains(string(saved.JSON), "aws_nat_gateway") {
			t.Errorf("saved plan %q / %.40q (err %v): want the plan file and JSON the runner made", saved.File, saved.JSON, err)
		}
		if runs := w.gh.CheckRuns(repo); len(runs) != 1 || runs[0].Conclusion != "success" {
			t.Errorf("check runs %+v, want one success", runs)
		}
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the comment differs by where Terraform ran:\nin the server:\n%s\nin a runner:\n%s", bodies[0], bodies[1])
	}
	if !strings.Contains(bodies[1], "$32.85") {
		t.Errorf("the runner's plan was not priced by the server:\n%s", bodies[1])
	}
	if got := strings.Join(r.environments, ","); got != flow.PlanEnvironment {
		t.Errorf("plans dispatched into %q, want %s: plans of pull requests' code run in the plan environment", got, flow.PlanEnvironment)
	}
}

func TestAPlanNoRunnerClaimedReleasesItsLockAndSaysWhy(t *testing.T) {
	t.Parallel()
	w, r := remoteWorld(t)
	natProject(w)
	r.fail = &flow.RemoteError{Reason: "no GitHub Actions runner claimed this job within 15m0s of its dispatch: run https://github.com/x/y/actions/runs/77"}
	jobs := w.deliver(t, "pull_request", prOpened(t, 9))
	if last := jobs[len(jobs)-1]; last.State != store.Failed || !strings.Contains(last.Error, "no GitHub Actions runner claimed") {
		t.Errorf("plan job %s %q, want failed saying no runner claimed it", last.State, last.Error)
	}
	got := w.replies(t, 9)
	if len(got) != 1 || !strings.Contains(got[0], "no GitHub Actions runner claimed") || !strings.Contains(got[0], "actions/runs/77") {
		t.Fatalf("comments %q, want the plan comment saying no runner claimed the job, with the run's link", got)
	}
	if runs := w.gh.CheckRuns(repo); len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Errorf("check runs %+v, want one failure", runs)
	}
	if locks, err := w.st.ListLocks(context.Background(), repo); err != nil || len(locks) != 0 {
		t.Errorf("locks %+v (err %v): a plan that never ran must not hold the project", locks, err)
	}
}

func TestAPlanWhoseRunnerDiedKeepsThePullRequestsLock(t *testing.T) {
	t.Parallel()
	w, r := remoteWorld(t)
	natProject(w)
	r.fail = &flow.RemoteError{Started: true, Reason: "the GitHub Actions runner of this job stopped sending heartbeats 2m0s ago"}
	w.deliver(t, "pull_request", prOpened(t, 9))
	if got := w.replies(t, 9); len(got) != 1 || !strings.Contains(got[0], "stopped sending heartbeats") {
		t.Fatalf("comments %q, want the plan comment saying the runner went silent", got)
	}
	// As when a plan fails in the server: its code may have run, so the pull request keeps the project.
	if locks, err := w.st.ListLocks(context.Background(), repo); err != nil || len(locks) != 1 || locks[0].PR != 9 {
		t.Errorf("locks %+v (err %v), want the project locked by #9", locks, err)
	}
}

func TestAMergeIsPlannedAndAppliedByARunnerInTheProjectsEnvironment(t *testing.T) {
	t.Parallel()
	w, r := remoteWorld(t)
	server, runner := w.deps.Terraform.(*fakeTerraform), r.deps.Terraform.(*fakeTerraform)
	planned(t, w, "fast", "fast")
	jobs := w.deliver(t, "pull_request", merged(t))
	if len(jobs) != 2 || jobs[1].Kind != flow.KindApply || jobs[1].State != store.Succeeded {
		t.Fatalf("jobs %+v, want the close and one successful apply", jobs)
	}
	if body := applyComment(t, w); !strings.Contains(body, "applied `9f3c2e1`") || !strings.Contains(body, "Apply complete!") {
		t.Errorf("apply comment:\n%s", body)
	}
	if len(runner.applied) != 1 || len(server.planned)+len(server.applied) != 0 {
		t.Errorf("the runner applied %d plans and the server ran Terraform %d times; want 1 and 0",
			len(runner.applied), len(server.planned)+len(server.applied))
	}
	if got := strings.Join(r.environments, ","); got != flow.PlanEnvironment+",production" {
		t.Errorf("jobs dispatched into %q: want the plan environment for the pull request's plan, the project's for the merge", got)
	}
	if got := fmt.Sprint(deploymentStates(w)); got != "[production:in_progress production:success]" {
		t.Errorf("deployment statuses %s", got)
	}
}

func TestAMergeWhosePlanDriftedWaitsWhenARunnerPlannedIt(t *testing.T) {
	t.Parallel()
	w, r := remoteWorld(t)
	planned(t, w, "fast", "nat") // the merge commit's plan creates a NAT gateway the shown plan did not
	jobs := w.deliver(t, "pull_request", merged(t))
	if last := jobs[len(jobs)-1]; last.Kind != flow.KindApply || !strings.Contains(string(last.Result), `"held":"drift"`) {
		t.Fatalf("apply job %s %s, want held for drift", last.State, last.Result)
	}
	if body := applyComment(t, w); !strings.Contains(body, "aws_nat_gateway.this") || !strings.Contains(body, "--confirm-drift") {
		t.Errorf("apply comment does not show the drift and how to confirm it:\n%s", body)
	}
	if n := len(r.deps.Terraform.(*fakeTerraform).applied); n != 0 {
		t.Errorf("the runner applied %d plans, want none", n)
	}
}

func TestAServiceIsDeployedAndRolledBackByRunnersInItsEnvironment(t *testing.T) {
	t.Parallel()
	w, r := remoteWorld(t)
	runnerShip := &fakeShipper{result: flow.ShipResult{Image: "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend@sha256:4f2a",
		Digest: "sha256:4f2a", TaskDefBefore: td + "7", TaskDefAfter: td + "8"}}
	r.deps.Shipper, r.deps.Credentials = runnerShip, fakeCredentials{}
	w.deps.Shipper = nil // the server builds nothing itself
	planned(t, w, "fast", "fast")
	w.gh.SetFile(repo, "main", ".gantry.yaml", serviceConfig)
	// The service's earlier deployment, which /rollback returns to below.
	if _, err := w.st.CreateDeployment(context.Background(), store.Deployment{Repo: repo, Service: "backend", SHA: strings.Repeat("a", 40),
		PR: 1, State: store.DeploymentSuccess, TaskDefAfter: td + "7"}); err != nil {
		t.Fatal(err)
	}
	w.deliver(t, "pull_request", merged(t))

	if len(runnerShip.calls) != 1 || runnerShip.calls[0].SHA != mergeSHA || runnerShip.calls[0].Env["AWS_ACCESS_KEY_ID"] != "backend-key" {
		t.Fatalf("the runner shipped %+v, want the merge commit with the service role's credentials", runnerShip.calls)
	}
	ds, _ := w.st.ListDeployments(context.Background(), repo, "backend", 0)
	if len(ds) != 2 || ds[0].State != store.DeploymentSuccess || ds[0].TaskDefAfter != td+"8" || ds[0].ImageDigest != "sha256:4f2a" {
		t.Fatalf("ledger %+v, want the runner's deployment recorded by the server", ds)
	}

	// /rollback: the runner puts revision 7 back.
	w.gh.SetPermission(repo, "alice", "write")
	w.deliver(t, "issue_comment", w.comment(t, "alice", "/rollback backend --to aaaaaaa"))
	if len(runnerShip.rollbacks) != 1 || runnerShip.rollbacks[0].TaskDefinition != td+"7" || runnerShip.rollbacks[0].Env["AWS_ACCESS_KEY_ID"] != "backend-key" {
		t.Fatalf("the runner rolled back %+v, want revision 7 with the service role", runnerShip.rollbacks)
	}
	if got := strings.Join(r.environments, ","); got != flow.PlanEnvironment+",production,backend,backend" {
		t.Errorf("jobs dispatched into %q: want the plan environment, the project's, then the service's for the deploy and the rollback", got)
	}
	if reply := lastReply(w, 9); !strings.Contains(reply, "rolled back to `aaaaaaa`") {
		t.Errorf("rollback reply:\n%s", reply)
	}
}

func TestARoleTheAllowListRefusesIsNeverDispatched(t *testing.T) {
	t.Parallel()
	w, r := remoteWorld(t)
	natProject(w)
	w.gh.SetFile(repo, "main", ".gantry.yaml", "version: 1\nprojects:\n  - name: network\n    dir: net\n"+
		"    aws: {plan_role_arn: \"arn:aws:iam::999999999999:role/admin-plan\", role_arn: \"arn:aws:iam::999999999999:role/admin\", region: us-east-1}\n")
	w.deps.Policy.RoleAllowed = func(string, string) bool { return false }
	w.deliver(t, "pull_request", prOpened(t, 9))
	if len(r.environments) != 0 {
		t.Errorf("dispatched into %v: a role the allow-list refuses must not reach a runner", r.environments)
	}
	if got := w.replies(t, 9); len(got) != 1 || !strings.Contains(got[0], "GANTRY_ROLE_ALLOWLIST") || !strings.Contains(got[0], "admin-plan") {
		t.Errorf("comments %q, want the plan comment naming the refused role and GANTRY_ROLE_ALLOWLIST", got)
	}
}
