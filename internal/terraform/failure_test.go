package terraform_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/terraform"
	"github.com/google/go-cmp/cmp"
)

// The fake's stderr for a failing step: 24 numbered lines, then the diagnostic.
func fakeStderr() string {
	var b strings.Builder
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&b, "diagnostic line %d\n", i)
	}
	return b.String() + "Error: Unsupported block type\n"
}

func TestAFailedStepIsARunErrorWithItsOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		step      string
		wantCalls int    // calls made, the failing one included
		wantLog   string // what the result's Log holds
	}{
		{name: "init fails and nothing else runs", step: "init", wantCalls: 2,
			wantLog: "stdout of the failing init\n"},
		{name: "plan fails after init", step: "plan", wantCalls: 3,
			wantLog: "Terraform has been successfully initialized!\nstdout of the failing plan\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]string{"FAKE_FAIL": tt.step})
			r, err := terraform.New(f.bin, terraform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
			var runErr *terraform.RunError
			if !errors.As(err, &runErr) {
				t.Fatalf("error = %v, want a *RunError", err)
			}
			if runErr.Step != tt.step {
				t.Errorf("Step = %q, want %q", runErr.Step, tt.step)
			}
			if want := "stdout of the failing " + tt.step + "\n"; runErr.Stdout != want {
				t.Errorf("Stdout = %q, want %q", runErr.Stdout, want)
			}
			if diff := cmp.Diff(fakeStderr(), runErr.Stderr); diff != "" {
				t.Errorf("Stderr (-want +got):\n%s", diff)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("Err = %v, want the exit status 1 of the step", runErr.Err)
			}
			// Error() names the step and ends with the last 20 lines of stderr: lines 6 to 24 and the diagnostic.
			msg := err.Error()
			if !strings.HasPrefix(msg, "terraform "+tt.step+" failed: exit status 1\ndiagnostic line 6\n") ||
				!strings.HasSuffix(msg, "diagnostic line 24\nError: Unsupported block type") ||
				strings.Contains(msg, "diagnostic line 5\n") {
				t.Errorf("Error() =\n%s\nwant the step, the exit status and the last 20 lines of stderr", msg)
			}
			if n := len(f.calls()); n != tt.wantCalls {
				t.Errorf("%d calls, want %d: %v", n, tt.wantCalls, f.calls())
			}
			if res == nil || res.Log != tt.wantLog {
				t.Errorf("result = %+v, want Log %q for the failure comment", res, tt.wantLog)
			}
		})
	}
}

func TestNewNamesTheBinaryItCannotRun(t *testing.T) {
	t.Run("a path that is not executable", func(t *testing.T) {
		t.Parallel()
		path := t.TempDir() + "/terraform"
		writeFile(t, path, "not a program")
		_, err := terraform.New(path, terraform.Options{})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "set GANTRY_TERRAFORM_BIN") {
			t.Errorf("New error = %v, want one naming %s and GANTRY_TERRAFORM_BIN", err, path)
		}
	})
	t.Run("no binary named and neither terraform nor tofu on PATH", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := terraform.New("", terraform.Options{})
		if err == nil || !strings.Contains(err.Error(), "neither terraform nor tofu is on PATH") {
			t.Errorf("New error = %v, want one saying neither is on PATH", err)
		}
	})
	t.Run("no binary named finds tofu on PATH when terraform is missing", func(t *testing.T) {
		f := newFake(t, nil)
		dir := t.TempDir()
		if err := exec.Command("cp", f.bin, dir+"/tofu").Run(); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", dir)
		r, err := terraform.New("", terraform.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Binary(); got != dir+"/tofu" {
			t.Errorf("Binary() = %q, want %q", got, dir+"/tofu")
		}
	})
}

func TestARequestWithoutDirOrPlanFileIsRefused(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	r, err := terraform.New(f.bin, terraform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		run  func() error
		want string
	}{
		{"a plan without a directory", func() error {
			_, err := r.Plan(ctx, terraform.PlanRequest{PlanFile: "p"})
			return err
		}, "PlanRequest.Dir is empty"},
		{"a plan without a plan file", func() error {
			_, err := r.Plan(ctx, terraform.PlanRequest{Dir: "."})
			return err
		}, "PlanRequest.PlanFile is empty"},
		{"an apply without a plan file", func() error {
			_, err := r.Apply(ctx, terraform.ApplyRequest{Dir: "."})
			return err
		}, "ApplyRequest.PlanFile is empty"},
	} {
		if err := tt.run(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
	if calls := f.calls(); len(calls) != 0 {
		t.Errorf("the binary ran: %v", calls)
	}
}
