package workdir_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/workdir"
)

func checkout(t *testing.T, m *workdir.Manager, name string, entries ...entry) *workdir.Dir {
	t.Helper()
	d, err := m.Checkout(t.Context(), name, serve(build(t, entries...)))
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	return d
}

func TestRemoveDeletesReadOnlyTrees(t *testing.T) {
	t.Parallel()
	d := checkout(t, newManager(t), "job-1", dir(top), file(top+"main.tf", "# main\n"))
	// What Terraform and provider downloads can leave: read-only files in read-only or unreadable directories.
	// Root ignores these modes, so only a run as another user shows a Remove that forgets them.
	cache := filepath.Join(d.Path, ".terraform", "providers")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "terraform-provider-aws"), []byte("bin"), 0o444); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(d.Path, ".terraform", "locked")
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(locked, "state"), []byte("s"), 0o400); err != nil {
		t.Fatal(err)
	}
	for dir, mode := range map[string]os.FileMode{cache: 0o555, locked: 0o000, filepath.Join(d.Path, ".terraform"): 0o555} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}

	if err := d.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Lstat(d.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Remove, stat %s = %v; want it gone", d.Path, err)
	}
	if err := d.Remove(); err != nil {
		t.Errorf("a second Remove = %v, want nil", err)
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()
	d := checkout(t, newManager(t), "job-1",
		dir(top),
		dir(top+"terraform/"),
		file(top+"terraform/main.tf", "m"),
		dir(top+"modules/net/"),
		file(top+"modules/net/main.tf", "n"),
		symlink(top+"terraform/net", "../modules/net"),
	)
	// Links the checkout gains later, from Terraform or a provider, rather than from the archive.
	outside := t.TempDir()
	for link, target := range map[string]string{
		"abs-in":  filepath.Join(d.Path, "modules"),
		"abs-out": outside,
		"rel-out": "../..",
		"loop":    "loop",
	} {
		if err := os.Symlink(target, filepath.Join(d.Path, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, rel string
		want      string // relative to d.Path; "" when Join must refuse
	}{
		{"a directory of the repository is inside", "terraform", "terraform"},
		{"the root itself is inside", ".", ""},
		{"an empty path is the root", "", ""},
		{"a path that does not exist yet is inside", "new/plan.tfplan", "new/plan.tfplan"},
		{"dot-dot that stays inside is resolved", "terraform/../modules/net", "modules/net"},
		{"a link of the archive is followed", "terraform/net/main.tf", "modules/net/main.tf"},
		{"an absolute link into the checkout is followed", "abs-in/net", "modules/net"},
		{"dot-dot above the root is refused", "../other", "-"},
		{"dot-dot above the root after a directory is refused", "terraform/../../x", "-"},
		{"an absolute path is refused", "/etc/passwd", "-"},
		{"a link to a directory outside is refused", "abs-out/x", "-"},
		{"a relative link climbing out is refused", "rel-out", "-"},
		{"a link loop is refused", "loop/x", "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := d.Join(tc.rel)
			if tc.want == "-" {
				if !errors.Is(err, workdir.ErrOutside) {
					t.Errorf("Join(%q) = %q, %v; want %v", tc.rel, got, err, workdir.ErrOutside)
				}
				return
			}
			if want := filepath.Join(d.Path, tc.want); err != nil || got != want {
				t.Errorf("Join(%q) = %q, %v; want %q", tc.rel, got, err, want)
			}
		})
	}
}

func TestSweepRemovesOnlyOldCheckouts(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	old := checkout(t, m, "job-1", dir(top), dir(top+"ro/"), file(top+"ro/f", "f"))
	if err := os.Chmod(filepath.Join(old.Path, "ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	recent := checkout(t, m, "job-2", dir(top), file(top+"f", "f"))
	// Entries Checkout did not make stay, however old: the root might be shared by mistake.
	for _, p := range []string{"notes", "job-3-notarandomid"} {
		if err := os.Mkdir(filepath.Join(m.Root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(m.Root, "job-4-0123456789ab"), []byte("a file, not a checkout"), 0o644); err != nil {
		t.Fatal(err)
	}
	twoHoursAgo := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{old.Root, filepath.Join(m.Root, "notes"), filepath.Join(m.Root, "job-3-notarandomid"), filepath.Join(m.Root, "job-4-0123456789ab")} {
		if err := os.Chtimes(p, twoHoursAgo, twoHoursAgo); err != nil {
			t.Fatal(err)
		}
	}

	removed, err := m.Sweep(time.Hour)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if removed != 1 {
		t.Errorf("Sweep removed %d directories, want 1", removed)
	}
	want := []string{filepath.Base(recent.Root), "job-3-notarandomid", "job-4-0123456789ab", "notes"} // ReadDir sorts by name
	if diff := cmp.Diff(want, names(t, m.Root)); diff != "" {
		t.Errorf("left in the work root (-want +got):\n%s", diff)
	}
}

func TestSweepOfAMissingRootRemovesNothing(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	if removed, err := m.Sweep(0); removed != 0 || err != nil {
		t.Errorf("Sweep = %d, %v; want 0, nil", removed, err)
	}
}
