package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/classla/gantry/internal/deploy"
	"github.com/classla/gantry/internal/testing/awsfake"
)

// behindALB is setup with the service behind an IP target group on app:8080 of a fake ELBv2.
func behindALB(t *testing.T, sc awsfake.Scenario) (*awsfake.ECS, *awsfake.ELBv2, string, *deploy.Deployer) {
	t.Helper()
	fake, d := setup(t, sc)
	lb := awsfake.NewELBv2(t)
	tg := lb.AddTargetGroupFor(fake, cluster, service, "app", 8080)
	d.ELB = elb.New(elb.Options{
		Region:       awsfake.ECSRegion,
		BaseEndpoint: aws.String(lb.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, awsfake.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	})
	return fake, lb, tg, d
}

func TestDeployWaitsForTheNewTasksToBeHealthyInTheTargetGroup(t *testing.T) {
	t.Parallel()
	_, lb, tg, d := behindALB(t, awsfake.Scenario{CompleteAfter: 1})
	lb.Script(tg, awsfake.Initial, awsfake.Initial, awsfake.Healthy)
	res, err := d.Deploy(context.Background(), request())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	calls := 0
	for _, r := range lb.Requests() {
		if strings.Contains(string(r.Body), "Action=DescribeTargetHealth") {
			calls++
		}
	}
	if calls != 3 || res.TaskDefAfter != rev2 {
		t.Errorf("%d DescribeTargetHealth calls, after %s; want 3 (initial, initial, healthy) and %s", calls, res.TaskDefAfter, rev2)
	}
}

func TestDeployFailsWhenTheNewTasksStayUnhealthy(t *testing.T) {
	t.Parallel()
	_, lb, tg, d := behindALB(t, awsfake.Scenario{CompleteAfter: 1})
	lb.Script(tg, awsfake.Initial, awsfake.Unhealthy("Target.ResponseCodeMismatch", "Health checks failed with these codes: [502]"))
	res, err := d.Deploy(context.Background(), request())
	var fail *deploy.Failure
	if !errors.As(err, &fail) || fail.Outcome != deploy.OutcomeUnhealthy {
		t.Fatalf("Deploy error = %v; want an unhealthy *deploy.Failure", err)
	}
	// The old task (10.0.1.10) drains; the deployment's task is the second the fake started.
	for _, want := range []string{"target group web", "target 10.0.1.11:8080", "unhealthy",
		"Target.ResponseCodeMismatch: Health checks failed with these codes: [502]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(res.Events) == 0 || res.TaskDefAfter != rev2 {
		t.Errorf("Result = events %q, after %s; want the service's events and %s", res.Events, res.TaskDefAfter, rev2)
	}
}

func TestDeployTimesOutWhileTargetsAreStillInitial(t *testing.T) {
	t.Parallel()
	_, lb, tg, d := behindALB(t, awsfake.Scenario{CompleteAfter: 1})
	lb.Script(tg, awsfake.Initial)
	req := request()
	req.Timeout = 30 * time.Millisecond
	_, err := d.Deploy(context.Background(), req)
	var fail *deploy.Failure
	if !errors.As(err, &fail) || fail.Outcome != deploy.OutcomeTimedOut ||
		!strings.Contains(fail.Reason, "target 10.0.1.11:8080 is initial (Elb.InitialHealthChecking") {
		t.Errorf("Deploy error = %v; want a timeout naming the initial target", err)
	}
}

func TestDeploySkipsTheTargetCheckForAServiceWithoutLoadBalancers(t *testing.T) {
	t.Parallel()
	fake, d := setup(t, awsfake.Scenario{CompleteAfter: 1})
	// No ELB client at all: a service without target groups never needs one.
	if _, err := d.Deploy(context.Background(), request()); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Target, ".ListTasks") || strings.HasSuffix(r.Target, ".DescribeTasks") {
			t.Errorf("the deploy called %s for a service without load balancers", r.Target)
		}
	}
}

func TestRollbackAlsoWaitsForHealthyTargets(t *testing.T) {
	t.Parallel()
	_, lb, tg, d := behindALB(t, awsfake.Scenario{CompleteAfter: 1})
	if _, err := d.Deploy(context.Background(), request()); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	lb.Script(tg, awsfake.Unhealthy("Target.Timeout", "Request timed out"))
	req := request()
	req.TaskDefinition = rev1
	_, err := d.Rollback(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "Target.Timeout: Request timed out") {
		t.Errorf("Rollback error = %v; want the unhealthy target's reason", err)
	}
}
