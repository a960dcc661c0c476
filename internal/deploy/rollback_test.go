package deploy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/classla/gantry/internal/deploy"
	"github.com/classla/gantry/internal/testing/awsfake"
)

func TestRollback(t *testing.T) {
	t.Parallel()
	t.Run("returns the service to an earlier revision without registering one", func(t *testing.T) {
		t.Parallel()
		fake, d := setup(t, awsfake.Scenario{CompleteAfter: 2})
		if _, err := d.Deploy(context.Background(), request()); err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		req := request()
		req.TaskDefinition = rev1
		res, err := d.Rollback(context.Background(), req)
		if err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if res.TaskDefBefore != rev2 || res.TaskDefAfter != rev1 || res.Polls != 2 {
			t.Errorf("Result = %s → %s after %d polls; want %s → %s after 2", res.TaskDefBefore, res.TaskDefAfter, res.Polls, rev2, rev1)
		}
		if n := len(fake.Registered()); n != 1 {
			t.Errorf("%d task definitions registered in all; want only the deploy's 1", n)
		}
	})
	t.Run("refuses a deregistered (INACTIVE) revision", func(t *testing.T) {
		t.Parallel()
		fake, d := setup(t, awsfake.Scenario{})
		if _, err := d.Deploy(context.Background(), request()); err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		if _, err := d.Client.(*ecs.Client).DeregisterTaskDefinition(context.Background(),
			&ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(rev1)}); err != nil {
			t.Fatalf("DeregisterTaskDefinition: %v", err)
		}
		before := len(fake.Requests())
		req := request()
		req.TaskDefinition = rev1
		_, err := d.Rollback(context.Background(), req)
		if !errors.Is(err, deploy.ErrInactiveTaskDefinition) {
			t.Fatalf("Rollback error = %v; want ErrInactiveTaskDefinition", err)
		}
		for _, r := range fake.Requests()[before:] {
			if r.Target == "AmazonEC2ContainerServiceV20141113.UpdateService" {
				t.Errorf("the refused rollback updated the service")
			}
		}
	})
}
