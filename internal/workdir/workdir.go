// Package workdir gives each job a private directory holding the repository at an exact commit, unpacked
// from GitHub's tarball without ever writing outside that directory, and cleans such directories up.
package workdir

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/classla/gantry/internal/sandbox"
)

// Defaults of Limits, used for fields left zero.
const (
	DefaultMaxBytes int64 = 2 << 30
	DefaultMaxFiles       = 100_000
)

// Limits bound what one archive may unpack to, so that a decompression bomb stops early.
type Limits struct {
	MaxBytes int64 // total size of the files
	MaxFiles int   // entries: files, directories and links
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	return l
}

// maxArchive bounds the download: the files, plus tar headers and padding (at most 1.5 KiB an entry),
// plus room for gzip's worst case on incompressible data.
func (l Limits) maxArchive() int64 {
	return l.MaxBytes + l.MaxBytes/100 + int64(l.MaxFiles)*1536 + 1<<20
}

// Manager hands out one directory per job under Root (GANTRY_DATA_DIR/work).
type Manager struct {
	Root   string
	Limits Limits
	// Sandbox gives each directory to its job's processes (nil: sandbox.Off, the server's own user).
	Sandbox *sandbox.Sandbox
}

var (
	validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)
	// jobDirName matches what Checkout creates, so that Sweep never removes anything else.
	jobDirName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}-[0-9a-f]{12}$`)
)

// Checkout creates a fresh directory named after the job, such as "job-42-1f2e3d4c5b6a", open to the
// job's sandbox group only, downloads the repository's gzip tar archive through fetch into a file
// inside it, unpacks it with the top-level directory stripped (see Extract) into its "src" directory,
// deletes the archive and hands the files to the job's sandbox user. On any error, a canceled ctx
// included, the directory is removed again.
func (m *Manager) Checkout(ctx context.Context, name string, fetch func(ctx context.Context, w io.Writer) error) (*Dir, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("work directory name %q: use at most 64 letters, digits, '.', '_' and '-', such as job-42", name)
	}
	if m.Root == "" {
		return nil, errors.New("the work directory root is empty: set Manager.Root to GANTRY_DATA_DIR/work")
	}
	sb := m.Sandbox
	if sb == nil {
		sb = sandbox.Off("")
	}
	if err := os.MkdirAll(m.Root, 0o700); err != nil {
		return nil, fmt.Errorf("creating the work directory root: %w; check GANTRY_DATA_DIR is writable", err)
	}
	if sb.On() {
		// Passable, not listable: each job finds its own directory, and no other's name.
		if err := os.Chmod(m.Root, 0o711); err != nil {
			return nil, fmt.Errorf("opening the work directory root to the sandbox user: %w", err)
		}
	}
	d, err := m.create(name)
	if err != nil {
		return nil, err
	}
	d.Jail, err = sb.NewJail(d.Root)
	if err != nil {
		return nil, errors.Join(err, d.Remove())
	}
	commit, err := m.fill(ctx, d.Path, fetch)
	if err == nil {
		err = d.Jail.Own(d.Path)
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		if rerr := d.Remove(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, fmt.Errorf("checking out %s: %w", name, err)
	}
	d.Commit = commit
	return d, nil
}

func (m *Manager) create(name string) (*Dir, error) {
	for range 10 {
		var suffix [6]byte
		_, _ = rand.Read(suffix[:])
		p := filepath.Join(m.Root, name+"-"+hex.EncodeToString(suffix[:]))
		err := os.Mkdir(p, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil {
			err = os.Chmod(p, 0o700) // a umask such as 0277 would leave it unwritable
		}
		src := filepath.Join(p, "src")
		if err == nil {
			err = os.Mkdir(src, 0o700)
		}
		if err != nil {
			return nil, fmt.Errorf("creating the work directory for %s: %w", name, err)
		}
		return &Dir{Path: src, Root: p}, nil
	}
	return nil, fmt.Errorf("creating the work directory for %s: no free name after 10 tries", name)
}

// fill downloads the archive into dir and unpacks it there.
func (m *Manager) fill(ctx context.Context, dir string, fetch func(ctx context.Context, w io.Writer) error) (string, error) {
	lim := m.Limits.withDefaults()
	f, err := os.CreateTemp(dir, ".gantry-archive-*.tar.gz")
	if err != nil {
		return "", fmt.Errorf("creating the archive file: %w", err)
	}
	defer f.Close()
	w := &guardedWriter{ctx: ctx, w: f, max: lim.maxArchive()}
	if err := fetch(ctx, w); err != nil {
		return "", fmt.Errorf("downloading the archive: %w", err)
	}
	if w.err != nil { // fetch swallowed the error that stopped it
		return "", fmt.Errorf("downloading the archive: %w", w.err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("downloading the archive: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("rewinding the archive file: %w", err)
	}
	// Unlinked before unpacking, so no entry of the archive can collide with it; the open file still reads.
	if err := os.Remove(f.Name()); err != nil {
		return "", fmt.Errorf("removing the archive file: %w", err)
	}
	commit, err := Extract(bufio.NewReaderSize(ctxReader{ctx: ctx, r: f}, 64<<10), dir, lim)
	if err != nil {
		return "", fmt.Errorf("unpacking the archive: %w", err)
	}
	return commit, nil
}

// Sweep removes the work directories of jobs that died with a crashed process: those Checkout created
// under Root whose modification time is older than olderThan. Call it at start, before any job runs;
// entries Checkout did not create are left alone.
func (m *Manager) Sweep(olderThan time.Duration) (removed int, err error) {
	entries, err := os.ReadDir(m.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("listing the work directories: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !jobDirName.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		// A job's processes left running by a crash died with gantry (their parent-death signal).
		if err := (&Dir{Path: filepath.Join(m.Root, e.Name())}).Remove(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Name(), err))
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// guardedWriter stops a download when ctx is canceled or the archive outgrows the limits, even if
// fetch itself does not watch ctx.
type guardedWriter struct {
	ctx context.Context
	w   io.Writer
	max int64
	n   int64
	err error
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if err := g.ctx.Err(); err != nil {
		g.err = err
		return 0, err
	}
	if int64(len(p)) > g.max-g.n {
		g.err = &LimitError{Field: "MaxBytes", Max: g.max, What: "bytes compressed"}
		return 0, g.err
	}
	n, err := g.w.Write(p)
	g.n += int64(n)
	return n, err
}

// ctxReader makes unpacking stop soon after ctx is canceled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
