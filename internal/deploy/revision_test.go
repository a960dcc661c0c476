package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

const rev3 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"

// terraformRevision is the fixture as Terraform registers it after a change: edit changes the decoded
// task definition; the app image is Terraform's own placeholder.
func terraformRevision(t *testing.T, edit func(td map[string]any, app map[string]any)) []byte {
	t.Helper()
	var td map[string]any
	if err := json.Unmarshal(fixture(t), &td); err != nil {
		t.Fatal(err)
	}
	app := td["containerDefinitions"].([]any)[0].(map[string]any)
	app["image"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:bootstrap"
	edit(td, app)
	b, err := json.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeployShipsTheFamilysLatestActiveRevision(t *testing.T) {
	t.Parallel()
	fake, d := setup(t, awsfake.Scenario{CompleteAfter: 1})
	if got := fake.RegisterTaskDefinition(terraformRevision(t, func(td, app map[string]any) {
		td["memory"] = "2048"
		app["environment"] = []any{map[string]any{"name": "LOG_LEVEL", "value": "debug-secretish"},
			map[string]any{"name": "FEATURE_FLAGS", "value": "beta-value"}}
		app["secrets"] = []any{map[string]any{"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/web/database-url-v2"}}
		td["containerDefinitions"].([]any)[1].(map[string]any)["image"] = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.33.0"
	})); got != rev2 {
		t.Fatalf("Terraform's revision is %s; want %s", got, rev2)
	}
	res, err := d.Deploy(context.Background(), request())
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if res.TaskDefBefore != rev1 || res.TaskDefAfter != rev3 {
		t.Errorf("deployed %s → %s; want %s → %s", res.TaskDefBefore, res.TaskDefAfter, rev1, rev3)
	}
	want := []string{
		"memory 1024 → 2048",
		"container app: environment FEATURE_FLAGS added",
		"container app: environment LOG_LEVEL changed",
		"container app: secret DATABASE_URL changed",
		"container log-router: image public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0 → public.ecr.aws/aws-observability/aws-for-fluent-bit:2.33.0",
	}
	if diff := cmp.Diff(want, res.Changes); diff != "" {
		t.Errorf("Changes (-want +got):\n%s", diff)
	}
	for _, c := range res.Changes {
		for _, secret := range []string{"debug-secretish", "beta-value", "info", "database-url"} {
			if strings.Contains(c, secret) {
				t.Errorf("change %q shows the value %q", c, secret)
			}
		}
	}
	registered := fake.Registered()
	if len(registered) != 1 {
		t.Fatalf("%d task definitions registered by the deploy; want 1", len(registered))
	}
	got := taskDef(t, registered[0])
	app := got["containerDefinitions"].([]any)[0].(map[string]any)
	if got["memory"] != "2048" || app["image"] != newImage {
		t.Errorf("registered memory %v, image %v; want Terraform's 2048 with the image pinned to %s", got["memory"], app["image"], newImage)
	}
}

func TestDeployReportsNoChangesWhenTheRunningRevisionIsTheLatest(t *testing.T) {
	t.Parallel()
	_, d := setup(t, awsfake.Scenario{CompleteAfter: 1})
	res, err := d.Deploy(context.Background(), request())
	if err != nil || len(res.Changes) != 0 {
		t.Errorf("Deploy = changes %q, %v; want none", res.Changes, err)
	}
}

func TestDeployDryRunListsTheChanges(t *testing.T) {
	t.Parallel()
	fake, d := setup(t, awsfake.Scenario{})
	fake.RegisterTaskDefinition(terraformRevision(t, func(td, _ map[string]any) { td["cpu"] = "1024" }))
	var out bytes.Buffer
	req := request()
	req.DryRun, req.Out = true, &out
	if _, err := d.Deploy(context.Background(), req); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	for _, want := range []string{"(a copy of " + rev2 + ")", "cpu 512 → 1024"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(fake.Registered()); n != 0 {
		t.Errorf("the dry run registered %d task definitions", n)
	}
}
