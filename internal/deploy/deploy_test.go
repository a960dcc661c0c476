package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/deploy"
	"github.com/classla/gantry/internal/testing/awsfake"
)

const (
	cluster  = "prod"
	service  = "web"
	newImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	oldImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	// The fake numbers revisions per family from 1, as ECS does: the fixture is web:1, a deploy registers web:2.
	rev1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
	rev2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
)

func fixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/web-taskdef.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setup starts a fake ECS running the fixture as service web in cluster prod.
func setup(t *testing.T, sc awsfake.Scenario) (*awsfake.ECS, *deploy.Deployer) {
	t.Helper()
	fake := awsfake.NewECS(t)
	fake.AddService(cluster, service, awsfake.TaskDefinitionJSON(fixture(t)))
	fake.Rollout(cluster, service, sc)
	client := ecs.New(ecs.Options{
		Region:       awsfake.ECSRegion,
		BaseEndpoint: aws.String(fake.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, awsfake.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	})
	return fake, &deploy.Deployer{Client: client, Poll: time.Millisecond}
}

func request() deploy.Request {
	return deploy.Request{Cluster: cluster, Service: service, Container: "app", Image: newImage, Timeout: time.Minute}
}

func TestDeployCompletesWhenTheRolloutCompletes(t *testing.T) {
	t.Parallel()
	_, d := setup(t, awsfake.Scenario{CompleteAfter: 3})
	res, err := d.Deploy(context.Background(), request())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if res.Polls != 3 || res.TaskDefBefore != rev1 || res.TaskDefAfter != rev2 || !strings.HasPrefix(res.DeploymentID, "ecs-svc/") {
		t.Errorf("Result = polls %d, before %s, after %s, deployment %q; want 3 polls, %s → %s, an ecs-svc/ id",
			res.Polls, res.TaskDefBefore, res.TaskDefAfter, res.DeploymentID, rev1, rev2)
	}
}

func TestDeployReportsRolloutsThatDoNotComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		scenario  awsfake.Scenario
		timeout   time.Duration
		outcome   deploy.Outcome
		reason    string
		lastEvent string
	}{
		{"a FAILED rollout is a failure with ECS's reason", awsfake.Scenario{FailAfter: 2}, time.Minute,
			deploy.OutcomeFailed, "tasks failed to start", "deployment failed: tasks failed to start."},
		{"a circuit-breaker rollback is a failure naming the breaker", awsfake.Scenario{RollbackAfter: 2}, time.Minute,
			deploy.OutcomeRolledBack, "rolled back by the deployment circuit breaker", "(service web) rolling back to deployment"},
		{"a rollout that never stabilises times out", awsfake.Scenario{Never: true}, 30 * time.Millisecond,
			deploy.OutcomeTimedOut, "did not complete within 30ms", "(service web) has started 1 tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, d := setup(t, tt.scenario)
			req := request()
			req.Timeout = tt.timeout
			res, err := d.Deploy(context.Background(), req)
			var fail *deploy.Failure
			if !errors.As(err, &fail) {
				t.Fatalf("Deploy error = %v; want a *deploy.Failure", err)
			}
			if fail.Outcome != tt.outcome || !strings.Contains(fail.Reason, tt.reason) {
				t.Errorf("Failure = %s: %q; want %s containing %q", fail.Outcome, fail.Reason, tt.outcome, tt.reason)
			}
			if len(res.Events) == 0 || !strings.Contains(res.Events[0], tt.lastEvent) || !cmp.Equal(res.Events, fail.Events) {
				t.Errorf("Events = %q; want the newest first containing %q, the same in Result and Failure", res.Events, tt.lastEvent)
			}
			if res.TaskDefAfter != rev2 {
				t.Errorf("TaskDefAfter = %s; want %s", res.TaskDefAfter, rev2)
			}
		})
	}
}

// taskDef decodes a task definition and drops what ECS fills in, leaving what a person registered.
func taskDef(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("task definition is not JSON: %v\n%s", err, raw)
	}
	for _, f := range []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
		"registeredAt", "registeredBy", "deregisteredAt"} {
		delete(m, f)
	}
	return m
}

// diffPaths collects the paths where two values differ.
type diffPaths struct {
	path  cmp.Path
	diffs []string
}

func (r *diffPaths) PushStep(s cmp.PathStep) { r.path = append(r.path, s) }
func (r *diffPaths) PopStep()                { r.path = r.path[:len(r.path)-1] }
func (r *diffPaths) Report(res cmp.Result) {
	if !res.Equal() {
		r.diffs = append(r.diffs, r.path.GoString())
	}
}

func TestDeployRegistersACopyThatDiffersOnlyInTheImage(t *testing.T) {
	t.Parallel()
	fake, d := setup(t, awsfake.Scenario{CompleteAfter: 1})
	if _, err := d.Deploy(context.Background(), request()); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	registered := fake.Registered()
	if len(registered) != 1 {
		t.Fatalf("%d RegisterTaskDefinition calls; want 1", len(registered))
	}
	before, after := taskDef(t, fixture(t)), taskDef(t, registered[0])

	var r diffPaths
	cmp.Equal(before, after, cmp.Reporter(&r))
	// The fixture's first container is "app": its image, and nothing else, changes.
	want := []string{`{map[string]any}["containerDefinitions"].([]any)[0].(map[string]any)["image"].(string)`}
	if diff := cmp.Diff(want, r.diffs); diff != "" {
		t.Errorf("registered task definition differs from the running one at other paths (-want +got):\n%s\nfull diff:\n%s",
			diff, cmp.Diff(before, after))
	}
	app := after["containerDefinitions"].([]any)[0].(map[string]any)
	if app["image"] != newImage {
		t.Errorf("registered image = %v; want %s", app["image"], newImage)
	}
	// The tags travel in the same request, as they are written in the fixture.
	wantTags := []any{map[string]any{"key": "team", "value": "payments"}, map[string]any{"key": "env", "value": "production"}}
	if diff := cmp.Diff(wantTags, after["tags"]); diff != "" {
		t.Errorf("registered tags (-want +got):\n%s", diff)
	}
}

func TestDeployRefusesAContainerNotInTheTaskDefinition(t *testing.T) {
	t.Parallel()
	fake, d := setup(t, awsfake.Scenario{})
	req := request()
	req.Container = "api"
	_, err := d.Deploy(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), `container "api" is not in task definition`) ||
		!strings.Contains(err.Error(), `"app", "log-router"`) {
		t.Errorf("Deploy error = %v; want one naming api and listing app and log-router", err)
	}
	if n := len(fake.Registered()); n != 0 {
		t.Errorf("%d task definitions registered; want none", n)
	}
}

func TestDeployDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	fake, d := setup(t, awsfake.Scenario{})
	var out bytes.Buffer
	req := request()
	req.DryRun, req.Out = true, &out
	if _, err := d.Deploy(context.Background(), req); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	for _, r := range fake.Requests() {
		if op := strings.TrimPrefix(r.Target, "AmazonEC2ContainerServiceV20141113."); op != "DescribeServices" && op != "DescribeTaskDefinition" {
			t.Errorf("dry run called %s; want only Describe calls", op)
		}
	}
	for _, want := range []string{"family web", rev1, "container app: image " + oldImage + " → " + newImage, "service web in cluster prod"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out.String())
		}
	}
}
