package terraform_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/terraform"
	"github.com/google/go-cmp/cmp"
)

func TestVersionTellsTerraformFromOpenTofu(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		first string // first line of `version`
		want  terraform.Version
	}{
		{"a Terraform release", "Terraform v1.5.7", terraform.Version{Flavor: "terraform", Version: "1.5.7"}},
		{"an OpenTofu release", "OpenTofu v1.10.6", terraform.Version{Flavor: "tofu", Version: "1.10.6"}},
		{"an OpenTofu built from source", "OpenTofu v1.10.6-dev", terraform.Version{Flavor: "tofu", Version: "1.10.6-dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]string{"FAKE_VERSION": tt.first})
			r, err := terraform.New(f.bin, terraform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				got, err := r.Version(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Version (-want +got):\n%s", diff)
				}
			}
			if n := len(f.calls()); n != 1 {
				t.Errorf("version ran %d times for two calls, want once (cached)", n)
			}
		})
	}
}

func TestVersionOfSomethingElseSaysWhatToSet(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_VERSION": "Vault v1.15.0"})
	r, err := terraform.New(f.bin, terraform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Version(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"Vault v1.15.0"`) || !strings.Contains(err.Error(), "set GANTRY_TERRAFORM_BIN") {
		t.Errorf("Version error = %v, want one quoting what it printed and naming GANTRY_TERRAFORM_BIN", err)
	}
}

func TestVersionPin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		first   string
		pin     string
		wantErr string // "" for a plan that runs
	}{
		{name: "an exact pin matching the binary runs", first: "Terraform v1.5.7", pin: "1.5.7"},
		{name: "a pessimistic pin the binary satisfies runs", first: "Terraform v1.5.7", pin: "~> 1.5"},
		{name: "no pin runs any version", first: "Terraform v0.15.5", pin: ""},
		{name: "a binary built from source satisfies the release it is built from", first: "OpenTofu v1.10.6-dev", pin: "~> 1.10.0"},
		{
			name: "another exact version is refused, saying what was found and what to change", first: "Terraform v1.5.7", pin: "1.6.0",
			wantErr: `BIN is Terraform 1.5.7, but the project pins terraform_version "1.6.0": set GANTRY_TERRAFORM_BIN to a binary whose version satisfies it, or change terraform_version in .gantry.yaml`,
		},
		{
			name: "an OpenTofu too old for the range is refused", first: "OpenTofu v1.10.6", pin: ">= 1.11, < 2.0",
			wantErr: `BIN is OpenTofu 1.10.6, but the project pins terraform_version ">= 1.11, < 2.0": set GANTRY_TERRAFORM_BIN to a binary whose version satisfies it, or change terraform_version in .gantry.yaml`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]string{"FAKE_VERSION": tt.first})
			r, err := terraform.New(f.bin, terraform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p", RequiredVersion: tt.pin})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Plan: %v", err)
				}
				return
			}
			var verr *terraform.VersionError
			if !errors.As(err, &verr) {
				t.Fatalf("error = %v, want a *VersionError", err)
			}
			if got := strings.ReplaceAll(err.Error(), f.bin, "BIN"); got != tt.wantErr {
				t.Errorf("error:\n got %s\nwant %s", got, tt.wantErr)
			}
			if diff := cmp.Diff([][]string{{"version"}}, f.calls()); diff != "" {
				t.Errorf("after a refused pin the binary ran more than version (-want +got):\n%s", diff)
			}
			if res == nil || res.Version.Version == "" {
				t.Errorf("the result does not say which version was found: %+v", res)
			}
		})
	}
}

func TestAPinThatIsNotAConstraintIsReported(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	r, err := terraform.New(f.bin, terraform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p", RequiredVersion: "latest"})
	var verr *terraform.VersionError
	if err == nil || errors.As(err, &verr) || !strings.Contains(err.Error(), `terraform_version "latest" is not a version constraint`) {
		t.Errorf("error = %v, want one saying the pin is not a constraint", err)
	}
}
