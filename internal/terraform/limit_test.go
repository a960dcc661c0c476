package terraform_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/redact"
	"github.com/classla/gantry/internal/terraform"
)

// A pull request's Terraform decides how much a plan prints (a 90-byte main.tf can print megabytes):
// what gantry keeps, stores and posts stays within MaxOutput.
func TestAFloodingPlanIsCutAtTheLimit(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_FLOOD": "plan", "FAKE_FLOOD_BYTES": "100000"})
	r, err := terraform.New(f.bin, terraform.Options{MaxOutput: 4096})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if !strings.Contains(res.Text, "# terraform_data.x will be created") {
		t.Errorf("the plan's own lines are gone:\n%.300s", res.Text)
	}
	if n := strings.Count(res.Log, "x"); n > 4096 {
		t.Errorf("the run kept %d bytes of the flood, more than the 4096 allowed", n)
	}
	if !strings.Contains(res.Text, "more bytes of output were cut here") {
		t.Errorf("the plan does not say its output was cut:\n%.300s", res.Text[max(0, len(res.Text)-300):])
	}
}

func TestAFloodingFailureKeepsItsDiagnosticsWithinTheLimit(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_FLOOD": "plan", "FAKE_FLOOD_BYTES": "100000", "FAKE_PLAN_EXIT": "1"})
	r, err := terraform.New(f.bin, terraform.Options{MaxOutput: 4096})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
	var re *terraform.RunError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RunError", err)
	}
	if len(re.Stderr) > 4096+200 || len(re.Stdout) > 4096+200 {
		t.Errorf("the failure kept %d bytes of stderr and %d of stdout, want about 4096 each", len(re.Stderr), len(re.Stdout))
	}
}

func TestAPlanWhoseJSONIsOverTheLimitFails(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_FLOOD": "show", "FAKE_FLOOD_BYTES": "100000"})
	r, err := terraform.New(f.bin, terraform.Options{MaxOutput: 4096})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
	var limit *terraform.OutputLimitError
	if !errors.As(err, &limit) {
		t.Fatalf("err = %v, want an *OutputLimitError", err)
	}
	if limit.Size <= 100000 || !strings.Contains(err.Error(), "more than the 4096 bytes") {
		t.Errorf("the error does not say how large the JSON was and what the limit is: %v", err)
	}
	if res != nil && len(res.JSON) > 0 {
		t.Errorf("a cut JSON was handed on (%d bytes)", len(res.JSON))
	}
}

// A plan that prints a credential it holds (it can: they are in its environment) hands on the
// credential redacted, before its output is ever cut into comment parts.
func TestWhatAStepPrintsIsRedactedAtOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]string{"FAKE_FAIL": "plan"})
	red := redact.New()
	red.Add("diagnostic line 7")
	r, err := terraform.New(f.bin, terraform.Options{Redact: red})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Plan(context.Background(), terraform.PlanRequest{Dir: t.TempDir(), PlanFile: "p"})
	var re *terraform.RunError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RunError", err)
	}
	if strings.Contains(re.Stderr, "diagnostic line 7") || !strings.Contains(re.Stderr, redact.Replacement) {
		t.Errorf("stderr was not redacted:\n%s", re.Stderr)
	}
}
