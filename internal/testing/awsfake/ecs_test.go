package awsfake_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

const ecsTaskDef = `{"family":"api","containerDefinitions":[{"name":"api","image":"repo/api@sha256:aa"}],
	"tags":[{"key":"team","value":"core"}]}`

func ecsClient(e *awsfake.ECS) *ecs.Client {
	return ecs.New(ecs.Options{
		Region: awsfake.ECSRegion, BaseEndpoint: aws.String(e.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, awsfake.SecretAccessKey, ""),
	})
}

func TestECSTaskDefinitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("registering numbers revisions per family and keeps tags for include TAGS", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.NewECS(t)
		first := fake.AddService("c", "api", awsfake.TaskDefinitionJSON(ecsTaskDef))
		c := ecsClient(fake)
		out, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family:               aws.String("api"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("api"), Image: aws.String("repo/api@sha256:bb")}},
			Tags:                 []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
		})
		if err != nil {
			t.Fatalf("RegisterTaskDefinition: %v", err)
		}
		// AddService registered api:1, so this is api:2.
		want := "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2"
		if first != "arn:aws:ecs:us-east-1:123456789012:task-definition/api:1" || aws.ToString(out.TaskDefinition.TaskDefinitionArn) != want ||
			out.TaskDefinition.Revision != 2 || out.TaskDefinition.Status != types.TaskDefinitionStatusActive {
			t.Errorf("registered %s rev %d %s after %s; want %s rev 2 ACTIVE after api:1", aws.ToString(out.TaskDefinition.TaskDefinitionArn),
				out.TaskDefinition.Revision, out.TaskDefinition.Status, first, want)
		}
		desc, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api:1"),
			Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
		if err != nil {
			t.Fatalf("DescribeTaskDefinition: %v", err)
		}
		if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Key) != "team" || aws.ToString(desc.TaskDefinition.ContainerDefinitions[0].Image) != "repo/api@sha256:aa" {
			t.Errorf("api:1 described with tags %v, image %s; want team=core and the first image", desc.Tags, aws.ToString(desc.TaskDefinition.ContainerDefinitions[0].Image))
		}
		if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("api:1")}); err != nil {
			t.Fatalf("DeregisterTaskDefinition: %v", err)
		}
		_, err = c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("api"), TaskDefinition: aws.String(first)})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ClientException" {
			t.Errorf("UpdateService to a deregistered revision: %v; want a ClientException", err)
		}
	})
	t.Run("registering read-only fields is a ClientException", func(t *testing.T) {
		t.Parallel()
		fake := awsfake.NewECS(t)
		body := `{"family":"api","revision":3,"containerDefinitions":[{"name":"api","image":"repo/api@sha256:aa"}]}`
		status, answer := signedECSRequest(t, fake, "RegisterTaskDefinition", body)
		if status != http.StatusBadRequest || !strings.Contains(answer, `"__type":"ClientException"`) || !strings.Contains(answer, "revision") {
			t.Errorf("answer %d %s; want 400 ClientException naming revision", status, answer)
		}
	})
}

func TestECSRolloutMakesANewPrimaryDeployment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := awsfake.NewECS(t)
	fake.AddService("c", "api", awsfake.TaskDefinitionJSON(ecsTaskDef))
	fake.Rollout("c", "api", awsfake.Scenario{CompleteAfter: 2})
	c := ecsClient(fake)
	up, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("api"), ForceNewDeployment: true})
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	var got [][2]string
	for _, d := range up.Service.Deployments {
		got = append(got, [2]string{aws.ToString(d.Status), string(d.RolloutState)})
	}
	if diff := cmp.Diff([][2]string{{"PRIMARY", "IN_PROGRESS"}, {"ACTIVE", "COMPLETED"}}, got); diff != "" {
		t.Errorf("deployments after UpdateService (-want +got):\n%s", diff)
	}
	events := len(up.Service.Events)
	for poll, want := range []types.DeploymentRolloutState{types.DeploymentRolloutStateInProgress, types.DeploymentRolloutStateCompleted} {
		out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"api"}})
		if err != nil {
			t.Fatalf("DescribeServices: %v", err)
		}
		s := out.Services[0]
		if s.Deployments[0].RolloutState != want || len(s.Events) <= events || s.Events[0].CreatedAt.After(time.Now()) {
			t.Errorf("poll %d: rollout %s with %d events; want %s and more than %d events", poll+1, s.Deployments[0].RolloutState, len(s.Events), want, events)
		}
		events = len(s.Events)
	}
}

// signedECSRequest sends body to op as the SDK would, for inputs the SDK cannot express.
func signedECSRequest(t *testing.T, e *awsfake.ECS, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: awsfake.AccessKeyID, SecretAccessKey: awsfake.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ecs", awsfake.ECSRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func TestECSDescribesAFamilyAsItsLatestActiveRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := awsfake.NewECS(t)
	fake.AddService("c", "api", awsfake.TaskDefinitionJSON(ecsTaskDef))
	second := fake.RegisterTaskDefinition(`{"family":"api","memory":"2048","containerDefinitions":[{"name":"api","image":"repo/api:terraform"}]}`)
	third := fake.RegisterTaskDefinition(`{"family":"api","memory":"4096","containerDefinitions":[{"name":"api","image":"repo/api:terraform"}]}`)
	c := ecsClient(fake)
	if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(third)}); err != nil {
		t.Fatalf("DeregisterTaskDefinition: %v", err)
	}
	out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api")})
	if err != nil {
		t.Fatalf("DescribeTaskDefinition: %v", err)
	}
	if got := aws.ToString(out.TaskDefinition.TaskDefinitionArn); got != second || aws.ToString(out.TaskDefinition.Memory) != "2048" {
		t.Errorf("family api described as %s (memory %s); want %s, the latest ACTIVE revision", got, aws.ToString(out.TaskDefinition.Memory), second)
	}
	svc, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"api"}})
	if err != nil || aws.ToString(svc.Services[0].TaskDefinition) == second {
		t.Errorf("registering a revision moved the service: %v, %v", svc, err)
	}
}
