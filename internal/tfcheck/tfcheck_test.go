package tfcheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProblemsOfModuleCalls(t *testing.T) {
	t.Parallel()
	m, err := Load("testdata/bad/root")
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Problems()
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		// Keep the message after the position, which depends on the path.
		got[i] = got[i][strings.Index(got[i], ": ")+2:]
	}
	// Derived from testdata/bad: "network" passes zones and misses cidr; "again" is fine; the root
	// uses again.subnet_ids, which modules/net does not declare.
	want := []string{
		`module "network" misses the required variable "cidr" of ../modules/net`,
		`module "network" passes "zones", which ../modules/net does not declare`,
		`module.again.subnet_ids: the module declares no output "subnet_ids"`,
	}
	if diff := cmp.Diff(want, got, cmpSorted); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// terraformDirs are the directories of the repository's terraform/ that hold .tf files.
func terraformDirs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "..", "terraform")
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".tf") {
			dir := filepath.Dir(path)
			if len(dirs) == 0 || dirs[len(dirs)-1] != dir {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestTheRepositorysTerraformCallsItsModulesCorrectly(t *testing.T) {
	t.Parallel()
	dirs := terraformDirs(t)
	if _, err := os.Stat(filepath.Join("..", "..", "terraform", "envs")); err == nil && len(dirs) == 0 {
		t.Fatal("terraform/envs exists but no .tf file was found")
	}
	for _, dir := range dirs {
		m, err := Load(dir)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		problems, err := m.Problems()
		if err != nil {
			t.Errorf("%s: %v", dir, err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
}
