// Package sandboxtest gives tests a real sandbox: children run as the unprivileged user nobody,
// which needs the tests to run as root, as CI does. A test run by another user fails in CI
// (CI=true) and is skipped elsewhere, saying why.
package sandboxtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classla/gantry/internal/sandbox"
)

// User is the unprivileged user the tests' sandbox runs children as; every Debian machine has it.
const User = "nobody"

// New returns a sandbox that runs children as User.
func New(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	if os.Geteuid() != 0 {
		msg := fmt.Sprintf("this test runs children as %s, which needs root; it runs as uid %d", User, os.Geteuid())
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s, err := sandbox.Resolve(User, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Warning(); w != "" {
		t.Fatalf("the test sandbox is not whole: %s", w)
	}
	return s
}

// Reachable lets every user pass dir and the directories above it up to the temporary directory
// root (t.TempDir makes them 0700), as a data directory must be for the sandbox user. It returns dir.
func Reachable(t testing.TB, dir string) string {
	t.Helper()
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Clean(dir); strings.HasPrefix(d, tmp+string(filepath.Separator)); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Shared is a new directory every user may write to, for a test whose Terraform, running as the
// sandbox user, leaves files for the test to read.
func Shared(t testing.TB) string {
	t.Helper()
	dir := Reachable(t, t.TempDir())
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

var copies sync.Map // binary path → *copied

type copied struct {
	once sync.Once
	path string
	err  error
}

// Binary returns bin where the sandbox user can run it: bin itself when it can, else a copy in a
// directory under the system's temporary directory that every user may pass, made once per
// process and reused by later runs while bin's size and time stay the same.
func Binary(t testing.TB, s *sandbox.Sandbox, bin string) string {
	t.Helper()
	if s.CheckReach(bin, "the binary", true) == nil {
		return bin
	}
	v, _ := copies.LoadOrStore(bin, &copied{})
	c := v.(*copied)
	c.once.Do(func() { c.path, c.err = copyBinary(bin) })
	if c.err != nil {
		t.Fatal(c.err)
	}
	if err := s.CheckReach(c.path, "the copied binary", true); err != nil {
		t.Fatal(err)
	}
	return c.path
}

// removeStaleCopies deletes copies made more than a day ago: binaries rebuilt since then have copies
// of their own, and a test process running now made or touched its copy today.
func removeStaleCopies() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "gantry-sandboxtest-*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(dir)
		}
	}
}

func copyBinary(bin string) (string, error) {
	fi, err := os.Stat(bin)
	if err != nil {
		return "", err
	}
	removeStaleCopies()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("gantry-sandboxtest-%d-%d", fi.Size(), fi.ModTime().UnixNano()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, filepath.Base(bin))
	if got, err := os.Stat(dst); err == nil && got.Size() == fi.Size() {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // in use: not stale
		return dst, nil
	}
	src, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".copy-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return dst, os.Rename(tmp.Name(), dst)
}
