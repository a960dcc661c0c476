package awsfake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

func elbClient(e *awsfake.ELBv2) *elb.Client {
	return elb.New(elb.Options{
		Region: awsfake.ECSRegion, BaseEndpoint: aws.String(e.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, awsfake.SecretAccessKey, ""),
	})
}

// health describes the group's targets as "ID:PORT state[ reason: description]" lines, as the SDK decoded them.
func health(t *testing.T, c *elb.Client, arn string) []string {
	t.Helper()
	out, err := c.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeTargetHealth: %v", err)
	}
	var got []string
	for _, d := range out.TargetHealthDescriptions {
		line := fmt.Sprintf("%s:%d %s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), d.TargetHealth.State)
		if d.TargetHealth.Reason != "" {
			line += " " + string(d.TargetHealth.Reason) + ": " + aws.ToString(d.TargetHealth.Description)
		}
		got = append(got, line)
	}
	return got
}

func TestELBv2DescribeTargetHealth(t *testing.T) {
	t.Parallel()
	t.Run("each target follows the script one call at a time, the last step repeating", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.NewELBv2(t)
		tg := fake.AddTargetGroup("web", 8080, "10.0.0.5", "10.0.0.6")
		fake.Script(tg, awsfake.Initial, awsfake.Unhealthy("Target.ResponseCodeMismatch", "Health checks failed with these codes: [502]"))
		c := elbClient(fake)
		want := [][]string{
			{"10.0.0.5:8080 initial Elb.InitialHealthChecking: Initial health checks in progress",
				"10.0.0.6:8080 initial Elb.InitialHealthChecking: Initial health checks in progress"},
			{"10.0.0.5:8080 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [502]",
				"10.0.0.6:8080 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [502]"},
			{"10.0.0.5:8080 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [502]",
				"10.0.0.6:8080 unhealthy Target.ResponseCodeMismatch: Health checks failed with these codes: [502]"},
		}
		for call, w := range want {
			if diff := cmp.Diff(w, health(t, c, tg)); diff != "" {
				t.Errorf("call %d (-want +got):\n%s", call+1, diff)
			}
		}
	})
	t.Run("an unknown target group is TargetGroupNotFound", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.NewELBv2(t)
		_, err := elbClient(fake).DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{
			TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef")})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "TargetGroupNotFound" || apiErr.ErrorMessage() != "One or more target groups not found" {
			t.Errorf("error = %v; want TargetGroupNotFound", err)
		}
	})
	t.Run("a request signed with another key is refused", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.NewELBv2(t)
		tg := fake.AddTargetGroup("web", 80, "10.0.0.5")
		c := elb.New(elb.Options{Region: awsfake.ECSRegion, BaseEndpoint: aws.String(fake.URL()), Retryer: aws.NopRetryer{},
			Credentials: credentials.NewStaticCredentialsProvider("AKIAOTHERKEY00000000", "other", "")})
		_, err := c.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnrecognizedClientException" {
			t.Errorf("error = %v; want UnrecognizedClientException", err)
		}
	})
}

func TestELBv2TargetsFollowTheECSServicesTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ecsFake, elbFake := awsfake.NewECS(t), awsfake.NewELBv2(t)
	ecsFake.AddService("c", "api", awsfake.TaskDefinitionJSON(
		`{"family":"api","networkMode":"awsvpc","containerDefinitions":[{"name":"api","image":"repo/api@sha256:aa"}]}`))
	tg := elbFake.AddTargetGroupFor(ecsFake, "c", "api", "api", 3000)
	ec, lb := ecsClient(ecsFake), elbClient(elbFake)

	svc, err := ec.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"api"}})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if lbs := svc.Services[0].LoadBalancers; len(lbs) != 1 || aws.ToString(lbs[0].TargetGroupArn) != tg ||
		aws.ToString(lbs[0].ContainerName) != "api" || aws.ToInt32(lbs[0].ContainerPort) != 3000 {
		t.Errorf("loadBalancers = %+v; want the target group in front of api:3000", lbs)
	}
	if diff := cmp.Diff([]string{"10.0.1.10:3000 healthy"}, health(t, lb, tg)); diff != "" {
		t.Errorf("before the deployment (-want +got):\n%s", diff)
	}

	elbFake.Script(tg, awsfake.Initial, awsfake.Healthy)
	up, err := ec.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("api"), ForceNewDeployment: true})
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	primary := aws.ToString(up.Service.Deployments[0].Id)
	list, err := ec.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), ServiceName: aws.String("api")})
	if err != nil || len(list.TaskArns) != 2 {
		t.Fatalf("ListTasks = %v, %v; want the old and the new task", list, err)
	}
	tasks, err := ec.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: list.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	var newIP string
	for _, task := range tasks.Tasks {
		if aws.ToString(task.StartedBy) == primary {
			newIP = eniIP(task)
		}
	}
	if newIP != "10.0.1.11" {
		t.Fatalf("the PRIMARY deployment's task has IP %q; want 10.0.1.11", newIP)
	}
	// The first describe completes the rollout and stops the old task, whose target drains.
	if _, err := ec.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"api"}}); err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	want := [][]string{
		{"10.0.1.10:3000 draining Target.DeregistrationInProgress: Target deregistration is in progress",
			"10.0.1.11:3000 initial Elb.InitialHealthChecking: Initial health checks in progress"},
		{"10.0.1.10:3000 draining Target.DeregistrationInProgress: Target deregistration is in progress", "10.0.1.11:3000 healthy"},
	}
	for call, w := range want {
		if diff := cmp.Diff(w, health(t, lb, tg)); diff != "" {
			t.Errorf("call %d after the rollout (-want +got):\n%s", call+1, diff)
		}
	}
	running, err := ec.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), StartedBy: aws.String(primary)})
	if err != nil || len(running.TaskArns) != 1 {
		t.Errorf("ListTasks startedBy the deployment = %v, %v; want its one task", running, err)
	}
	_, err = ec.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), ServiceName: aws.String("api"), StartedBy: aws.String(primary)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterException" {
		t.Errorf("ListTasks with startedBy and serviceName: %v; want InvalidParameterException", err)
	}
}

func eniIP(task types.Task) string {
	for _, a := range task.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}
