package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/terraform"
	"github.com/classla/gantry/internal/testing/s3fake"
	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"
)

// simpleResources are the resources of testdata/simple: two at the root, count = 2 and a for_each
// over two queues in the module.
var simpleResources = []string{
	`module.workers.terraform_data.queue["high"]`,
	`module.workers.terraform_data.queue["low"]`,
	`module.workers.terraform_data.replica[0]`,
	`module.workers.terraform_data.replica[1]`,
	"terraform_data.network",
	"terraform_data.x",
}

const bucket = "gantry-state"

func TestPlanApplyAndPlanAgainWithStateInS3(t *testing.T) {
	t.Parallel()
	forEachBinary(t, func(t *testing.T, r *terraform.Runner, flavor string) {
		ctx := context.Background()
		s3 := s3fake.New(t)
		s3.Bucket(bucket)
		const key = "simple/terraform.tfstate"
		dir := copyFixture(t, "simple")
		backend := s3.BackendConfig(flavor, bucket, key)
		planFile := filepath.Join(t.TempDir(), "first.tfplan")

		plan, err := r.Plan(ctx, terraform.PlanRequest{
			Dir: dir, Workspace: "default", BackendConfig: backend, Env: s3.Env(), PlanFile: planFile,
		})
		if err != nil {
			t.Fatalf("Plan: %v", err)
		}
		if !plan.HasChanges {
			t.Error("HasChanges = false for a plan that creates everything")
		}
		if got := createdAddresses(t, plan.JSON); !cmp.Equal(simpleResources, got) {
			t.Errorf("addresses planned for creation (-want +got):\n%s", cmp.Diff(simpleResources, got))
		}
		for _, want := range []string{"# terraform_data.x will be created", "Plan: 6 to add, 0 to change, 0 to destroy."} {
			if !strings.Contains(plan.Text, want) {
				t.Errorf("Text lacks %q:\n%s", want, plan.Text)
			}
		}
		if !strings.Contains(plan.Log, "successfully initialized") {
			t.Errorf("Log lacks init's output:\n%s", plan.Log)
		}

		applied, err := r.Apply(ctx, terraform.ApplyRequest{
			Dir: dir, Workspace: "default", BackendConfig: backend, Env: s3.Env(), PlanFile: planFile,
		})
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if want := "Apply complete! Resources: 6 added, 0 changed, 0 destroyed."; !strings.Contains(applied.Log, want) {
			t.Errorf("apply Log lacks %q:\n%s", want, applied.Log)
		}
		if diff := cmp.Diff([]string{key}, s3.Keys(bucket)); diff != "" {
			t.Errorf("objects in the bucket (-want +got):\n%s", diff)
		}
		assertState(t, s3, key, len(simpleResources))

		again, err := r.Plan(ctx, terraform.PlanRequest{
			Dir: dir, Workspace: "default", BackendConfig: backend, Env: s3.Env(), PlanFile: filepath.Join(t.TempDir(), "again.tfplan"),
		})
		if err != nil {
			t.Fatalf("second Plan: %v", err)
		}
		if again.HasChanges || !strings.Contains(again.Text, "No changes.") {
			t.Errorf("second plan: HasChanges = %v, Text:\n%s\nwant no changes", again.HasChanges, again.Text)
		}
	})
}

func TestAnotherWorkspaceIsCreatedAndKeepsItsOwnState(t *testing.T) {
	t.Parallel()
	forEachBinary(t, func(t *testing.T, r *terraform.Runner, flavor string) {
		ctx := context.Background()
		s3 := s3fake.New(t)
		s3.Bucket(bucket)
		const key = "simple/terraform.tfstate"
		dir := copyFixture(t, "simple")
		backend := s3.BackendConfig(flavor, bucket, key)
		planFile := filepath.Join(t.TempDir(), "staging.tfplan")

		if _, err := r.Plan(ctx, terraform.PlanRequest{
			Dir: dir, Workspace: "staging", BackendConfig: backend, Env: s3.Env(), PlanFile: planFile,
		}); err != nil {
			t.Fatalf("Plan: %v", err)
		}
		if _, err := r.Apply(ctx, terraform.ApplyRequest{
			Dir: dir, Workspace: "staging", BackendConfig: backend, Env: s3.Env(), PlanFile: planFile,
		}); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		// The S3 backend keeps a workspace's state under workspace_key_prefix ("env:") / NAME / key.
		const stagingKey = "env:/staging/" + key
		// Nothing is written for the default workspace.
		if diff := cmp.Diff([]string{stagingKey}, s3.Keys(bucket)); diff != "" {
			t.Errorf("objects in the bucket (-want +got):\n%s", diff)
		}
		assertState(t, s3, stagingKey, len(simpleResources))

		// A second run selects the workspace that now exists.
		again, err := r.Plan(ctx, terraform.PlanRequest{
			Dir: dir, Workspace: "staging", BackendConfig: backend, Env: s3.Env(), PlanFile: filepath.Join(t.TempDir(), "again.tfplan"),
		})
		if err != nil {
			t.Fatalf("second Plan: %v", err)
		}
		if again.HasChanges {
			t.Errorf("the second plan in staging has changes:\n%s", again.Text)
		}
	})
}

func TestASyntaxErrorFailsWithTerraformsDiagnostic(t *testing.T) {
	t.Parallel()
	forEachBinary(t, func(t *testing.T, r *terraform.Runner, flavor string) {
		_, err := r.Plan(context.Background(), terraform.PlanRequest{
			Dir: copyFixture(t, "syntax_error"), PlanFile: filepath.Join(t.TempDir(), "p.tfplan"),
		})
		var runErr *terraform.RunError
		if !errors.As(err, &runErr) {
			t.Fatalf("error = %v, want a *RunError", err)
		}
		if runErr.Step != "init" && runErr.Step != "plan" {
			t.Errorf("Step = %q, want init or plan", runErr.Step)
		}
		for _, want := range []string{"Error: Unsupported block type", `Blocks of type "resourse" are not expected here`} {
			if !strings.Contains(runErr.Stderr, want) {
				t.Errorf("Stderr lacks %q:\n%s", want, runErr.Stderr)
			}
		}
	})
}

// TestTheServersOwnAWSCredentialsNeverReachTerraform gives the test process (the "server") keys the
// fake S3 accepts and none to the run: init must fail for want of credentials.
func TestTheServersOwnAWSCredentialsNeverReachTerraform(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", s3fake.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3fake.SecretAccessKey)
	for _, b := range binaries {
		t.Run(b.flavor, func(t *testing.T) {
			r := newRunner(t, binaryPath(t, b), b.flavor)
			s3 := s3fake.New(t)
			s3.Bucket(bucket)
			_, err := r.Plan(context.Background(), terraform.PlanRequest{
				Dir:           copyFixture(t, "simple"),
				BackendConfig: s3.BackendConfig(b.flavor, bucket, "k.tfstate"),
				PlanFile:      filepath.Join(t.TempDir(), "p.tfplan"),
			})
			var runErr *terraform.RunError
			if !errors.As(err, &runErr) || runErr.Step != "init" {
				t.Fatalf("error = %v, want init to fail for want of credentials", err)
			}
			if !strings.Contains(strings.ToLower(runErr.Stderr), "credential") {
				t.Errorf("Stderr does not speak of credentials:\n%s", runErr.Stderr)
			}
			if keys := s3.Keys(bucket); len(keys) != 0 {
				t.Errorf("the run wrote %q with the server's credentials", keys)
			}
		})
	}
}

// createdAddresses are the addresses a `show -json` plan creates, sorted.
func createdAddresses(t *testing.T, planJSON []byte) []string {
	t.Helper()
	var plan tfjson.Plan
	if err := json.Unmarshal(planJSON, &plan); err != nil {
		t.Fatalf("the plan JSON does not parse: %v", err)
	}
	var created []string
	for _, rc := range plan.ResourceChanges {
		if rc.Change != nil && rc.Change.Actions.Create() {
			created = append(created, rc.Address)
		}
	}
	slices.Sort(created)
	return created
}

// assertState checks that the state object at key holds instances resource instances.
func assertState(t *testing.T, s3 *s3fake.Server, key string, instances int) {
	t.Helper()
	data, ok := s3.Object(bucket, key)
	if !ok {
		t.Fatalf("no state object at %s", key)
	}
	var state struct {
		Resources []struct {
			Instances []json.RawMessage `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatalf("the state at %s does not parse: %v\n%s", key, err, data)
	}
	n := 0
	for _, r := range state.Resources {
		n += len(r.Instances)
	}
	if n != instances {
		t.Errorf("the state at %s holds %d resource instances, want %d", key, n, instances)
	}
}
