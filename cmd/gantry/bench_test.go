package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/testing/s3fake"
)

// bench200 is a project of 200 built-in resources with local state: what is measured is
// Terraform and gantry, not a backend.
const bench200 = `resource "terraform_data" "item" {
  count = 200
  input = "item-${count.index}"
}
`

// BenchmarkWebhookToComment200 is the time from a push delivery to the plan comment of a
// 200-resource project: intake, queue, checkout, init, plan, show -json, store, render and
// the GitHub calls. Compare it with BenchmarkPlainTerraform200.
func BenchmarkWebhookToComment200(b *testing.B) {
	e := startServer(b, "GANTRY_TERRAFORM_BIN", func(*s3fake.Server, string) string {
		return "version: 1\nprojects:\n  - name: bench\n    dir: bench\n"
	})
	i := 0
	for b.Loop() {
		i++
		sha := fmt.Sprintf("%07x", i) + strings.Repeat("0", 33) // a distinct short SHA per iteration
		e.commit(sha, map[string]string{"bench/main.tf": bench200})
		e.pullRequest("synchronize", githubfake.PR{Number: 1, User: "alice", HeadSHA: sha, Files: []string{"bench/main.tf"}})
		e.projectComment(1, "bench", contains("`"+sha[:7]+"`", "Plan: 200 to add"))
	}
}

// BenchmarkPlainTerraform200 is what a person or a CI script does for the same project:
// `terraform init && terraform plan -out && terraform show -json` in a fresh checkout.
func BenchmarkPlainTerraform200(b *testing.B) {
	bin := os.Getenv("GANTRY_TERRAFORM_BIN")
	if bin == "" {
		b.Fatal("GANTRY_TERRAFORM_BIN is not set: run `make tools` and pass it")
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}
	for b.Loop() {
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(bench200), 0o600); err != nil {
			b.Fatal(err)
		}
		plan := filepath.Join(dir, "p.tfplan")
		for _, args := range [][]string{
			{"init", "-input=false", "-no-color"},
			{"plan", "-input=false", "-no-color", "-out=" + plan},
			{"show", "-json", plan},
		} {
			cmd := exec.Command(bin, args...)
			cmd.Dir, cmd.Env = dir, env
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}
}
