package workdir_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/workdir"
)

// Each attack is unpacked into parent/dest next to parent/victim, the directory it aims at; victim is an
// absolute path standing for /etc, so a regression damages only the test's own directory.
func TestExtractRefusesAttacks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		entries func(victim string) []entry
		culprit func(victim string) string // the entry the error must name
	}{
		{
			name:    "a path climbing out of the top directory with ../ is refused",
			entries: func(string) []entry { return []entry{dir(top), file(top+"../victim/pwned", "x")} },
			culprit: func(string) string { return top + "../victim/pwned" },
		},
		{
			name:    "a path starting with ../ is refused",
			entries: func(string) []entry { return []entry{file("../victim/pwned", "x")} },
			culprit: func(string) string { return "../victim/pwned" },
		},
		{
			name:    "an absolute path is refused",
			entries: func(v string) []entry { return []entry{dir(top), file(v+"/pwned", "x")} },
			culprit: func(v string) string { return v + "/pwned" },
		},
		{
			name:    "a path that becomes absolute once the top directory is stripped is refused",
			entries: func(v string) []entry { return []entry{dir(top), file(top+"/"+v+"/pwned", "x")} },
			culprit: func(v string) string { return top + "/" + v + "/pwned" },
		},
		{
			name: "a symlink to an absolute directory, then a file through it, is refused at the symlink",
			entries: func(v string) []entry {
				return []entry{dir(top), symlink(top+"x", v), file(top+"x/passwd", "x")}
			},
			culprit: func(string) string { return top + "x" },
		},
		{
			name: "a relative symlink leaving the tree, then a file through it, is refused at the symlink",
			entries: func(string) []entry {
				return []entry{dir(top), symlink(top+"x", "../victim"), file(top+"x/pwned", "x")}
			},
			culprit: func(string) string { return top + "x" },
		},
		{
			name: "a nested symlink climbing above the top is refused",
			entries: func(string) []entry {
				return []entry{dir(top), dir(top + "a/"), symlink(top+"a/up", "../../victim")}
			},
			culprit: func(string) string { return top + "a/up" },
		},
		{
			name: "a file through a symlink is refused even when the symlink stays inside",
			entries: func(string) []entry {
				return []entry{dir(top), dir(top + "sub/"), symlink(top+"x", "sub"), file(top+"x/f", "x")}
			},
			culprit: func(string) string { return top + "x/f" },
		},
		{
			name: "a chain of symlinks, each inside on its own, that leads out is refused",
			entries: func(string) []entry {
				// s2 is the root itself, so s2/.. is the root's parent.
				return []entry{dir(top), symlink(top+"s1", "s2/.."), symlink(top+"s2", ".")}
			},
			culprit: func(string) string { return top + "s1" },
		},
		{
			name: "the same chain with its links in the other order is refused",
			entries: func(string) []entry {
				return []entry{dir(top), symlink(top+"s2", "."), symlink(top+"s1", "s2/../victim")}
			},
			culprit: func(string) string { return top + "s1" },
		},
		{
			name:    "a hard link to an absolute path is refused",
			entries: func(v string) []entry { return []entry{dir(top), hardlink(top+"h", v+"/secret")} },
			culprit: func(string) string { return top + "h" },
		},
		{
			name:    "a hard link climbing out with .. is refused",
			entries: func(string) []entry { return []entry{dir(top), hardlink(top+"h", top+"../victim/secret")} },
			culprit: func(string) string { return top + "h" },
		},
		{
			name:    "a hard link to a file the archive never wrote is refused",
			entries: func(string) []entry { return []entry{dir(top), hardlink(top+"h", top+"secret")} },
			culprit: func(string) string { return top + "h" },
		},
		{
			name:    "a hard link to a file under another top directory is refused",
			entries: func(string) []entry { return []entry{dir(top), hardlink(top+"h", "victim/secret")} },
			culprit: func(string) string { return top + "h" },
		},
		{
			name: "a hard link to a symlink is refused",
			entries: func(string) []entry {
				return []entry{dir(top), file(top+"f", "f"), symlink(top+"l", "f"), hardlink(top+"h", top+"l")}
			},
			culprit: func(string) string { return top + "h" },
		},
		{
			name:    "a character device is refused",
			entries: func(string) []entry { return []entry{dir(top), special(tar.TypeChar, top+"null")} },
			culprit: func(string) string { return top + "null" },
		},
		{
			name:    "a block device is refused",
			entries: func(string) []entry { return []entry{dir(top), special(tar.TypeBlock, top+"sda")} },
			culprit: func(string) string { return top + "sda" },
		},
		{
			name:    "a FIFO is refused",
			entries: func(string) []entry { return []entry{dir(top), special(tar.TypeFifo, top+"pipe")} },
			culprit: func(string) string { return top + "pipe" },
		},
		{
			name: "a file replacing an earlier symlink is refused",
			entries: func(string) []entry {
				return []entry{dir(top), dir(top + "sub/"), symlink(top+"x", "sub"), file(top+"x", "x")}
			},
			culprit: func(string) string { return top + "x" },
		},
		{
			name:    "a file below a file is refused",
			entries: func(string) []entry { return []entry{dir(top), file(top+"f", "f"), file(top+"f/g", "g")} },
			culprit: func(string) string { return top + "f/g" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			victim, dest := filepath.Join(parent, "victim"), filepath.Join(parent, "dest")
			for _, d := range []string{victim, dest} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			secret := filepath.Join(victim, "secret")
			if err := os.WriteFile(secret, []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}

			_, err := workdir.Extract(bytes.NewReader(build(t, tc.entries(victim)...)), dest, workdir.Limits{})
			if !errors.Is(err, workdir.ErrUnsafe) {
				t.Fatalf("Extract error = %v, want %v", err, workdir.ErrUnsafe)
			}
			if culprit := tc.culprit(victim); !strings.Contains(err.Error(), `"`+culprit+`"`) {
				t.Errorf("error %q does not name the entry %q", err, culprit)
			}

			if diff := cmp.Diff([]string{"dest", "victim"}, names(t, parent)); diff != "" {
				t.Errorf("the parent directory changed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"secret": "file 0644 keep"}, snapshot(t, victim)); diff != "" {
				t.Errorf("the victim directory changed (-want +got):\n%s", diff)
			}
			assertNothingLeadsOut(t, dest, secret)
		})
	}
}

func special(typ byte, name string) entry {
	return entry{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o666, Devmajor: 1, Devminor: 3}}
}

// assertNothingLeadsOut checks that dest holds no link, no special file and no hard link to secret.
func assertNothingLeadsOut(t *testing.T, dest, secret string) {
	t.Helper()
	outside, err := os.Stat(secret)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			t.Errorf("%s is a symbolic link left behind by a refused archive", p)
		case !info.IsDir() && !info.Mode().IsRegular():
			t.Errorf("%s is a special file (%s)", p, info.Mode())
		case os.SameFile(info, outside):
			t.Errorf("%s is a hard link to %s", p, secret)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
