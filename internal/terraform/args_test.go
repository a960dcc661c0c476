package terraform_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/terraform"
	"github.com/google/go-cmp/cmp"
)

func TestPlanRunsEachStepWithItsArguments(t *testing.T) {
	t.Parallel()
	const planFile = "/plans/42/production.tfplan"
	backend := map[string]string{"region": "us-east-1", "bucket": "classla-state", "key": "production.tfstate"}
	// What every case runs before and after the workspace step, written out by hand.
	version := []string{"version"}
	init := []string{"init", "-input=false", "-no-color", "-reconfigure",
		"-backend-config=bucket=classla-state", "-backend-config=key=production.tfstate", "-backend-config=region=us-east-1"}
	plan := []string{"plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock-timeout=5m0s",
		"-out=" + planFile, "-target=module.alb", "-var=replicas=2"}
	showJSON := []string{"show", "-json", planFile}

	tests := []struct {
		name       string
		settings   map[string]string
		workspace  string
		existing   string // a workspace the fake already has
		want       [][]string
		hasChanges bool
	}{
		{
			name:       "the default workspace is used without a workspace step",
			workspace:  "default",
			want:       [][]string{version, init, plan, showJSON},
			hasChanges: true,
		},
		{
			name:       "an empty workspace means the default one",
			want:       [][]string{version, init, plan, showJSON},
			hasChanges: true,
		},
		{
			name:      "another workspace is selected, created if missing, on Terraform 1.4 and later",
			workspace: "staging",
			want: [][]string{version, init, {"workspace", "select", "-no-color", "-or-create=true", "staging"},
				plan, showJSON},
			hasChanges: true,
		},
		{
			name:      "before Terraform 1.4 a missing workspace is created after select fails",
			settings:  map[string]string{"FAKE_VERSION": "Terraform v1.3.9"},
			workspace: "staging",
			want: [][]string{version, init, {"workspace", "select", "-no-color", "staging"},
				{"workspace", "new", "-no-color", "staging"}, plan, showJSON},
			hasChanges: true,
		},
		{
			name:      "before Terraform 1.4 an existing workspace is only selected",
			settings:  map[string]string{"FAKE_VERSION": "Terraform v1.3.9"},
			workspace: "staging",
			existing:  "staging",
			want: [][]string{version, init, {"workspace", "select", "-no-color", "staging"},
				plan, showJSON},
			hasChanges: true,
		},
		{
			name:       "a plan that exits 0 under -detailed-exitcode has no changes",
			settings:   map[string]string{"FAKE_PLAN_EXIT": "0"},
			want:       [][]string{version, init, plan, showJSON},
			hasChanges: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.settings)
			if tt.existing != "" {
				writeFile(t, filepath.Join(f.dir, "workspaces"), tt.existing+"\n")
			}
			r, err := terraform.New(f.bin, terraform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Plan(context.Background(), terraform.PlanRequest{
				Dir:           t.TempDir(),
				Workspace:     tt.workspace,
				BackendConfig: backend,
				Args:          []string{"-target=module.alb", "-var=replicas=2"},
				PlanFile:      planFile,
			})
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tt.want, f.calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if res.HasChanges != tt.hasChanges {
				t.Errorf("HasChanges = %v, want %v", res.HasChanges, tt.hasChanges)
			}
			// What the fake prints for show -json, and the plan part of what it prints for plan.
			if got, want := string(res.JSON), `{"format_version":"1.2","resource_changes":[]}`+"\n"; got != want {
				t.Errorf("JSON = %q, want %q", got, want)
			}
			if got, want := res.Text, "Terraform will perform the following actions:\n  # terraform_data.x will be created\nPlan: 1 to add, 0 to change, 0 to destroy.\n"; got != want {
				t.Errorf("Text = %q, want %q", got, want)
			}
			if !strings.HasPrefix(res.Log, "Terraform has been successfully initialized!\n") ||
				!strings.HasSuffix(res.Log, "Plan: 1 to add, 0 to change, 0 to destroy.\n") {
				t.Errorf("Log is not init's then plan's output:\n%s", res.Log)
			}
		})
	}
}

func TestApplyRunsInitWorkspaceAndApplyOfThePlanFile(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	r, err := terraform.New(f.bin, terraform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Apply(context.Background(), terraform.ApplyRequest{
		Dir:           t.TempDir(),
		Workspace:     "staging",
		BackendConfig: map[string]string{"key": "app.tfstate", "bucket": "state"},
		PlanFile:      "/plans/7/app.tfplan",
	})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := [][]string{
		{"version"},
		{"init", "-input=false", "-no-color", "-reconfigure", "-backend-config=bucket=state", "-backend-config=key=app.tfstate"},
		{"workspace", "select", "-no-color", "-or-create=true", "staging"},
		{"apply", "-input=false", "-no-color", "-lock-timeout=5m0s", "/plans/7/app.tfplan"},
	}
	if diff := cmp.Diff(want, f.calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(res.Log, "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n") {
		t.Errorf("Log does not end with apply's output:\n%s", res.Log)
	}
}

func TestLockTimeoutOptionReachesPlanAndApply(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	r, err := terraform.New(f.bin, terraform.Options{LockTimeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Plan(ctx, terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(ctx, terraform.ApplyRequest{Dir: t.TempDir(), PlanFile: "p"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, call := range f.calls() {
		for _, a := range call {
			if strings.HasPrefix(a, "-lock-timeout=") {
				got = append(got, call[0]+" "+a)
			}
		}
	}
	if diff := cmp.Diff([]string{"plan -lock-timeout=1m30s", "apply -lock-timeout=1m30s"}, got); diff != "" {
		t.Errorf("lock timeouts (-want +got):\n%s", diff)
	}
}
