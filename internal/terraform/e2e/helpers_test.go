package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/classla/gantry/internal/terraform"
)

// binary is one of the two binaries every test runs against.
type binary struct {
	flavor string // what Version must report
	envVar string
}

var binaries = []binary{
	{flavor: terraform.FlavorTerraform, envVar: "GANTRY_TERRAFORM_BIN"},
	{flavor: terraform.FlavorTofu, envVar: "GANTRY_TOFU_BIN"},
}

// binaryPath is the binary's path; a missing one fails the test (never skips: CI must not hide a
// missing tool).
func binaryPath(tb testing.TB, b binary) string {
	tb.Helper()
	path := os.Getenv(b.envVar)
	if path == "" {
		tb.Fatalf("%s is not set: run `make tools` (it builds Terraform and OpenTofu into bin/) and run the tests through make, or set %s to the binary", b.envVar, b.envVar)
	}
	return path
}

// forEachBinary runs test as a parallel subtest per binary, with a Runner for it.
func forEachBinary(t *testing.T, test func(t *testing.T, r *terraform.Runner, flavor string)) {
	for _, b := range binaries {
		t.Run(b.flavor, func(t *testing.T) {
			t.Parallel()
			test(t, newRunner(t, binaryPath(t, b), b.flavor), b.flavor)
		})
	}
}

// newRunner is a Runner for path, checked to be the flavor the test expects.
func newRunner(tb testing.TB, path, flavor string) *terraform.Runner {
	tb.Helper()
	r, err := terraform.New(path, terraform.Options{PluginCacheDir: filepath.Join(tb.TempDir(), "plugins")})
	if err != nil {
		tb.Fatal(err)
	}
	v, err := r.Version(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if v.Flavor != flavor {
		tb.Fatalf("%s is %s, want a %s binary", path, v, flavor)
	}
	return r
}

// copyFixture copies testdata/NAME into a fresh directory: runs write .terraform and lock files.
func copyFixture(tb testing.TB, name string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
		tb.Fatal(err)
	}
	return dir
}
