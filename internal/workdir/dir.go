package workdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/classla/gantry/internal/sandbox"
)

// maxLinkHops is how many symbolic links a path may pass through, as on Linux.
const maxLinkHops = 40

// Dir is one job's checkout of a repository.
type Dir struct {
	// Path is the directory holding the repository's files.
	Path string
	// Root is the job's directory: Path is inside it, and so are the private directories the job's
	// processes get (HOME, TMPDIR). Empty means Path.
	Root string
	// Commit is the commit GitHub recorded in the archive, "" when it recorded none.
	Commit string
	// Jail is the job's place in the sandbox: its processes run with it (see internal/sandbox).
	Jail *sandbox.Jail
}

// Remove stops whatever the job's processes left running, then deletes the job's directory and
// everything in it, including read-only files and directories left by Terraform or its providers.
// Removing a directory that is already gone is not an error.
func (d *Dir) Remove() error {
	if d.Jail != nil {
		// First, so nothing writes into the directory while it is removed.
		d.Jail.Reap()
		defer d.Jail.Close()
	}
	root := d.Root
	if root == "" {
		root = d.Path
	}
	if err := os.RemoveAll(root); err == nil {
		return nil
	}
	// Entries of a read-only directory cannot be unlinked: make every directory writable first.
	// WalkDir visits a directory before reading it, so unreadable ones become readable in time.
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, _ error) error {
		if e != nil && e.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(root); err != nil {
		return fmt.Errorf("removing the work directory: %w", err)
	}
	return nil
}

// ReadFile reads rel (slash-separated, relative to the repository root) without following a link out
// of the checkout: the job's processes could have left one there, pointing at the server's files.
func (d *Dir) ReadFile(rel string) ([]byte, error) {
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return nil, fmt.Errorf("opening the work directory: %w", err)
	}
	defer root.Close()
	return root.ReadFile(filepath.FromSlash(rel))
}

// WriteFile writes data to rel (relative to the repository root, not through a link) for the job's
// processes to read.
func (d *Dir) WriteFile(rel string, data []byte) error {
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return fmt.Errorf("opening the work directory: %w", err)
	}
	defer root.Close()
	name := filepath.FromSlash(rel)
	_ = root.Remove(name) // a link planted there is replaced, never written through
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if d.Jail != nil {
		return d.Jail.Own(filepath.Join(d.Path, name))
	}
	return nil
}

// Join returns the path of rel (slash-separated, relative to the repository root) inside the checkout,
// with any symbolic links on the way resolved. rel need not exist. It fails with ErrOutside when rel is
// absolute or leads outside the checkout, through ".." or through a symbolic link.
func (d *Dir) Join(rel string) (string, error) {
	if filepath.IsAbs(rel) || path.IsAbs(rel) {
		return "", fmt.Errorf("%w: %q is absolute; give a path relative to the repository root", ErrOutside, rel)
	}
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return "", fmt.Errorf("opening the work directory: %w", err)
	}
	defer root.Close()
	bases := []string{filepath.Clean(d.Path)}
	if real, err := filepath.EvalSymlinks(d.Path); err == nil && real != bases[0] {
		bases = append(bases, real)
	}
	resolved, err := resolve(root, "", filepath.ToSlash(rel), bases)
	if err != nil {
		return "", fmt.Errorf("%q: %w", rel, err)
	}
	return filepath.Join(d.Path, filepath.FromSlash(resolved)), nil
}

// resolve follows rel from the directory start (both relative to root; start has no links in it) the way
// the kernel would, one component at a time, and returns where it leads. Absolute link targets are
// allowed only below one of absBases, the root's own absolute paths. Missing components are fine: what
// does not exist cannot be a link.
func resolve(root *os.Root, start, rel string, absBases []string) (string, error) {
	var stack []string // resolved components, none of them a link
	if start != "" && start != "." {
		stack = strings.Split(start, "/")
	}
	queue := strings.Split(rel, "/")
	hops := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "", fmt.Errorf(`%w: ".." goes above the repository root`, ErrOutside)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		cur := strings.Join(stack, "/")
		fi, err := root.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if hops++; hops > maxLinkHops {
			return "", fmt.Errorf("%w: more than %d symbolic links on the way (a loop?)", ErrOutside, maxLinkHops)
		}
		target, err := root.Readlink(cur)
		if err != nil {
			return "", err
		}
		stack = stack[:len(stack)-1]
		if filepath.IsAbs(target) {
			below, ok := below(absBases, target)
			if !ok {
				return "", fmt.Errorf("%w: the symbolic link %q points to %q", ErrOutside, cur, target)
			}
			stack, target = nil, below
		}
		queue = append(strings.Split(filepath.ToSlash(target), "/"), queue...)
	}
	return strings.Join(stack, "/"), nil
}

// below returns target relative to the first base it lies in.
func below(bases []string, target string) (string, bool) {
	for _, b := range bases {
		if r, err := filepath.Rel(b, target); err == nil && filepath.IsLocal(r) {
			return r, true
		}
		if filepath.Clean(target) == b {
			return ".", true
		}
	}
	return "", false
}
