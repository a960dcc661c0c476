package flow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/flow"
	"github.com/classla/gantry/internal/store"
)

// fakeShipper records what it was asked to ship and answers with result/err.
type fakeShipper struct {
	mu        sync.Mutex
	calls     []flow.ShipRequest
	rollbacks []flow.RollbackRequest
	result    flow.ShipResult
	err       error
}

func (f *fakeShipper) Rollback(_ context.Context, req flow.RollbackRequest) (flow.ShipResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rollbacks = append(f.rollbacks, req)
	return f.result, f.err
}

func (f *fakeShipper) Ship(_ context.Context, req flow.ShipRequest) (flow.ShipResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	return f.result, f.err
}

const serviceConfig = validConfig + `services:
  - name: backend
    after: [production]
    when_modified: ["backend/**", "terraform/envs/production/**"]
    build: {context: backend}
    ecr_repository: classla-backend
    ecs: {cluster: classla-production, service: classla-backend, container: backend}
    aws: {role_arn: "arn:aws:iam::111111111111:role/gantry-deploy-backend", region: us-east-1}
`

func TestAMergeDeploysTheServiceAfterTheApply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		shipErr  error
		state    store.DeploymentState
		says     []string
		statuses string
	}{
		{"a rollout that completes is recorded as a success", nil, store.DeploymentSuccess,
			[]string{"`backend` deployed `9f3c2e1`", "classla-backend:8", "/rollback backend", "memory 1024 → 2048"},
			"[production:in_progress production:success backend:in_progress backend:success]"},
		{"a rollout the circuit breaker undid is recorded as a failure with the service's events",
			errors.New("rolled back by the deployment circuit breaker"), store.DeploymentFailure,
			[]string{"deployment of `9f3c2e1` failed", "circuit breaker", "(service classla-backend) rolling back"},
			"[production:in_progress production:success backend:in_progress backend:failure]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ship := &fakeShipper{err: c.shipErr, result: flow.ShipResult{
				Image:         "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend@sha256:4f2a",
				Digest:        "sha256:4f2a",
				TaskDefBefore: "arn:aws:ecs:us-east-1:111111111111:task-definition/classla-backend:7",
				TaskDefAfter:  "arn:aws:ecs:us-east-1:111111111111:task-definition/classla-backend:8",
				Duration:      95 * time.Second,
				Events:        []string{"(service classla-backend) rolling back to deployment ecs-svc/1"},
				Changes:       []string{"memory 1024 → 2048"},
			}}
			w.deps.Shipper = ship
			w.deps.Credentials = fakeCredentials{}
			planned(t, w, "fast", "fast")
			w.gh.SetFile(repo, "main", ".gantry.yaml", serviceConfig)
			jobs := w.deliver(t, "pull_request", merged(t))
			var kinds []string
			for _, j := range jobs {
				kinds = append(kinds, j.Kind)
			}
			if fmt.Sprint(kinds) != "[pull_request_closed apply deploy]" {
				t.Fatalf("jobs ran in the order %v, want the close, the apply, then the deployment", kinds)
			}
			if len(ship.calls) != 1 || ship.calls[0].SHA != mergeSHA || ship.calls[0].Env["AWS_ACCESS_KEY_ID"] != "backend-key" {
				t.Fatalf("ship calls %+v, want one at the merge commit with the service role's credentials", ship.calls)
			}
			ds, _ := w.st.ListDeployments(context.Background(), repo, "backend", 0)
			if len(ds) != 1 || ds[0].State != c.state || ds[0].TaskDefAfter != ship.result.TaskDefAfter || ds[0].PR != 2 || ds[0].SHA != mergeSHA {
				t.Errorf("ledger %+v, want one %s deployment of the merge", ds, c.state)
			}
			if got := fmt.Sprint(deploymentStates(w)); got != c.statuses {
				t.Errorf("GitHub deployment statuses %s, want %s", got, c.statuses)
			}
			var report string
			for _, cm := range w.gh.Comments(repo, 2) {
				if strings.Contains(cm.Body, "`backend`") {
					report = cm.Body
				}
			}
			for _, want := range c.says {
				if !strings.Contains(report, want) {
					t.Errorf("deployment comment lacks %q:\n%s", want, report)
				}
			}
		})
	}
}

func TestAServiceIsNotDeployedWhenItsApplyWaits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ship := &fakeShipper{}
	w.deps.Shipper = ship
	w.deps.Credentials = fakeCredentials{}
	planned(t, w, "fast", "nat") // the merge-time plan drifts: the apply waits
	w.gh.SetFile(repo, "main", ".gantry.yaml", serviceConfig)
	w.deliver(t, "pull_request", merged(t))
	if len(ship.calls) != 0 {
		t.Fatal("the service was deployed although the apply it comes after is waiting")
	}
	var said bool
	for _, c := range w.gh.Comments(repo, 2) {
		said = said || strings.Contains(c.Body, "`backend` was not deployed")
	}
	if !said {
		t.Errorf("the pull request was not told; comments %+v", w.gh.Comments(repo, 2))
	}
}

// fakeCredentials hands out a fixed key per role name.
type fakeCredentials struct{}

func (fakeCredentials) Env(_ context.Context, s flow.Session) (map[string]string, error) {
	return map[string]string{"AWS_ACCESS_KEY_ID": s.Name + "-key", "AWS_REGION": s.Role.Region}, nil
}
