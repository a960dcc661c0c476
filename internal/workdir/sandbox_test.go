package workdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/classla/gantry/internal/testing/sandboxtest"
	"github.com/classla/gantry/internal/workdir"
)

func TestACheckoutBelongsToItsJobAlone(t *testing.T) {
	sb := sandboxtest.New(t)
	data := sandboxtest.Reachable(t, t.TempDir())
	m := &workdir.Manager{Root: filepath.Join(data, "work"), Sandbox: sb}
	d := checkout(t, m, "job-7", dir(top), dir(top+"infra/"), file(top+"infra/main.tf", "# tf"))

	root, err := os.Stat(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	st := root.Sys().(*syscall.Stat_t)
	if root.Mode().Perm() != 0o750 || st.Uid != uint32(os.Getuid()) || st.Gid != d.Jail.GID() {
		t.Errorf("the job's directory is mode %04o uid %d gid %d, want 0750, the server's, the job's group %d",
			root.Mode().Perm(), st.Uid, st.Gid, d.Jail.GID())
	}
	for _, rel := range []string{"", "infra", "infra/main.tf"} {
		fi, err := os.Lstat(filepath.Join(d.Path, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != sb.UID() || st.Gid != d.Jail.GID() {
			t.Errorf("%q belongs to uid %d gid %d, want the sandbox user %d and the job's group %d", rel, st.Uid, st.Gid, sb.UID(), d.Jail.GID())
		}
	}
	if fi, _ := os.Stat(m.Root); fi.Mode().Perm() != 0o711 {
		t.Errorf("the work root is mode %04o, want 0711 (passable, not listable)", fi.Mode().Perm())
	}
}

func TestTheServerNeverReadsThroughALinkAJobPlanted(t *testing.T) {
	t.Parallel()
	m := &workdir.Manager{Root: filepath.Join(t.TempDir(), "work")}
	d := checkout(t, m, "job-8", dir(top), file(top+"main.tf", "# tf"))
	secret := filepath.Join(t.TempDir(), "gantry.db")
	if err := os.WriteFile(secret, []byte("SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	// What a plan's process could do once Terraform wrote its plan file.
	planFile := filepath.Join(d.Path, ".gantry-prod.tfplan")
	if err := os.Symlink(secret, planFile); err != nil {
		t.Fatal(err)
	}
	if got, err := d.ReadFile(".gantry-prod.tfplan"); err == nil || strings.Contains(string(got), "SECRET") {
		t.Errorf("ReadFile followed a link out of the checkout: %q, %v", got, err)
	}
	// A saved plan written back replaces the link instead of writing through it.
	if err := d.WriteFile(".gantry-prod.tfplan", []byte("PLAN")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(secret); string(got) != "SECRET" {
		t.Errorf("WriteFile wrote through the link: the target now holds %q", got)
	}
	if got, err := d.ReadFile(".gantry-prod.tfplan"); err != nil || string(got) != "PLAN" {
		t.Errorf("ReadFile = %q, %v; want the plan written", got, err)
	}
}
