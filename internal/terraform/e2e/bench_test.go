package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/terraform"
)

// BenchmarkPlan200 is the runner's whole plan of 200 resources: init, plan, show -json and show
// (the version is asked once per Runner, so not per iteration).
func BenchmarkPlan200(b *testing.B) {
	for _, bin := range binaries {
		b.Run(bin.flavor, func(b *testing.B) {
			r := newRunner(b, binaryPath(b, bin), bin.flavor)
			dir := copyFixture(b, "two_hundred")
			req := terraform.PlanRequest{Dir: dir, PlanFile: filepath.Join(b.TempDir(), "p.tfplan")}
			for b.Loop() {
				res, err := r.Plan(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				if !res.HasChanges {
					b.Fatal("the plan of 200 new resources has no changes")
				}
			}
		})
	}
}

// BenchmarkPlainTerraform200 is the same fixture planned by the binary alone, `init && plan -out &&
// show -json`, for the runner's overhead to be read against it.
func BenchmarkPlainTerraform200(b *testing.B) {
	for _, bin := range binaries {
		b.Run(bin.flavor, func(b *testing.B) {
			path := binaryPath(b, bin)
			dir := copyFixture(b, "two_hundred")
			planFile := filepath.Join(b.TempDir(), "p.tfplan")
			env := append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
			steps := [][]string{
				{"init", "-input=false", "-no-color"},
				{"plan", "-input=false", "-no-color", "-out=" + planFile},
				{"show", "-json", planFile},
			}
			for b.Loop() {
				for _, args := range steps {
					cmd := exec.Command(path, args...)
					cmd.Dir = dir
					cmd.Env = env
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%s %v: %v\n%s", path, args, err, out)
					}
				}
			}
		})
	}
}
