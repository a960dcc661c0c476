package workdir_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
	"github.com/classla/gantry/internal/workdir"
)

func newManager(t *testing.T) *workdir.Manager {
	return &workdir.Manager{Root: filepath.Join(t.TempDir(), "work")}
}

// serve is a fetch that writes a ready archive.
func serve(archive []byte) func(context.Context, io.Writer) error {
	return func(_ context.Context, w io.Writer) error {
		_, err := w.Write(archive)
		return err
	}
}

func TestCheckoutFromGitHub(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(t)
	fake.AddRepo("classla", "lms", "main")
	sha := "9fceb02d0ae598e95dc970b74767f19372d61af8" // a head commit, as flow asks for
	fake.SetTarball("classla/lms", sha, map[string]string{
		"terraform/main.tf":             "module \"net\" {}\n",
		"terraform/modules/net/main.tf": "resource \"aws_vpc\" \"this\" {}\n",
		"README.md":                     "# lms\n",
	})
	app, err := github.NewApp(github.AppConfig{AppID: fake.AppID(), PrivateKey: fake.PrivateKeyPEM(), BaseURL: fake.URL()})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	client := app.Installation(1)
	m := newManager(t)

	d, err := m.Checkout(t.Context(), "job-42", func(ctx context.Context, w io.Writer) error {
		return client.Tarball(ctx, github.Repo{Owner: "classla", Name: "lms"}, sha, w)
	})
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if d.Commit != sha {
		t.Errorf("Commit = %q, want %q", d.Commit, sha)
	}
	if filepath.Dir(d.Root) != m.Root || !strings.HasPrefix(filepath.Base(d.Root), "job-42-") || d.Path != filepath.Join(d.Root, "src") {
		t.Errorf("Root = %s, Path = %s, want %s/job-42-…/src", d.Root, d.Path, m.Root)
	}
	info, err := os.Stat(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o700 {
		t.Errorf("the work directory has mode %v, want 0700", info.Mode().Perm())
	}
	// The fake stores files as 0664, as GitHub does; no archive is left next to them.
	want := map[string]string{
		"terraform":                     "dir 0755",
		"terraform/main.tf":             "file 0644 module \"net\" {}\n",
		"terraform/modules":             "dir 0755",
		"terraform/modules/net":         "dir 0755",
		"terraform/modules/net/main.tf": "file 0644 resource \"aws_vpc\" \"this\" {}\n",
		"README.md":                     "file 0644 # lms\n",
	}
	if diff := cmp.Diff(want, snapshot(t, d.Path)); diff != "" {
		t.Errorf("checkout (-want +got):\n%s", diff)
	}

	if err := d.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if got := names(t, m.Root); len(got) != 0 {
		t.Errorf("the work root holds %v after Remove, want nothing", got)
	}
}

func TestCheckoutGivesEachJobItsOwnDirectory(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	archive := build(t, global(commit), file(top+"main.tf", "# main\n"))
	a, err := m.Checkout(t.Context(), "job-7", serve(archive))
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	b, err := m.Checkout(t.Context(), "job-7", serve(archive))
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if a.Path == b.Path {
		t.Errorf("two checkouts for job-7 share %s", a.Path)
	}
}

func TestCheckoutRemovesTheDirectoryOnFailure(t *testing.T) {
	t.Parallel()
	good := build(t, global(commit), dir(top), file(top+"main.tf", "# main\n"))
	for _, tc := range []struct {
		name  string
		lim   workdir.Limits
		fetch func(context.Context, io.Writer) error
		check func(error) bool
	}{
		{
			name:  "a truncated archive",
			fetch: serve(good[:len(good)-10]),
			check: func(err error) bool { return errors.Is(err, workdir.ErrCorrupt) },
		},
		{
			name:  "an unsafe archive",
			fetch: serve(build(t, dir(top), symlink(top+"etc", "/etc"))),
			check: func(err error) bool { return errors.Is(err, workdir.ErrUnsafe) },
		},
		{
			name: "a failed download",
			fetch: func(_ context.Context, w io.Writer) error {
				_, _ = w.Write(good[:20])
				return errors.New("connection reset by peer")
			},
			check: func(err error) bool { return strings.Contains(err.Error(), "connection reset by peer") },
		},
		{
			// 1000 bytes, one entry: the download may reach about 1 MiB of slack, not 2 MiB.
			name: "a download larger than the limits allow",
			lim:  workdir.Limits{MaxBytes: 1000, MaxFiles: 1},
			fetch: func(_ context.Context, w io.Writer) error {
				_, err := w.Write(make([]byte, 2<<20))
				return err
			},
			check: func(err error) bool {
				var le *workdir.LimitError
				return errors.As(err, &le) && le.Field == "MaxBytes"
			},
		},
		{
			name: "a download stopped by the limit even when fetch ignores the write error",
			lim:  workdir.Limits{MaxBytes: 1000, MaxFiles: 1},
			fetch: func(_ context.Context, w io.Writer) error {
				_, _ = w.Write(make([]byte, 2<<20))
				return nil
			},
			check: func(err error) bool {
				var le *workdir.LimitError
				return errors.As(err, &le)
			},
		},
	} {
		t.Run("Checkout removes its directory after "+tc.name, func(t *testing.T) {
			t.Parallel()
			m := newManager(t)
			m.Limits = tc.lim
			d, err := m.Checkout(t.Context(), "job-1", tc.fetch)
			if err == nil || !tc.check(err) {
				t.Fatalf("Checkout = %v, %v; want the failure reported", d, err)
			}
			if got := names(t, m.Root); len(got) != 0 {
				t.Errorf("the work root holds %v, want nothing", got)
			}
		})
	}
}

func TestCheckoutRefusesBadNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "../job-1", "job/1", ".hidden", "job 1", strings.Repeat("j", 65)} {
		t.Run("the name "+name+" is refused", func(t *testing.T) {
			t.Parallel()
			m := newManager(t)
			called := false
			_, err := m.Checkout(t.Context(), name, func(context.Context, io.Writer) error { called = true; return nil })
			if err == nil || called {
				t.Errorf("Checkout(%q) = %v, fetch called %v; want an error before downloading", name, err, called)
			}
			if _, err := os.Stat(m.Root); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Checkout(%q) created the work root (%v); want nothing created", name, err)
			}
		})
	}
}

func TestCheckoutNeedsARoot(t *testing.T) {
	t.Parallel()
	_, err := (&workdir.Manager{}).Checkout(t.Context(), "job-1", serve(nil))
	if err == nil || !strings.Contains(err.Error(), "Manager.Root") {
		t.Errorf("Checkout without a root = %v, want an error naming Manager.Root", err)
	}
}

func TestCheckoutStopsWhenCanceledDuringTheDownload(t *testing.T) {
	t.Parallel()
	archive := randomArchive(t, 4, 1024)
	for _, tc := range []struct {
		name  string
		after func(ctx context.Context, writeErr error) error // what fetch returns once canceled
	}{
		{"a fetch that returns the context's error", func(ctx context.Context, _ error) error { return ctx.Err() }},
		{"a fetch that ignores the cancellation", func(context.Context, error) error { return nil }},
	} {
		t.Run(tc.name+" still stops", func(t *testing.T) {
			t.Parallel()
			m := newManager(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var writeErr error
			_, err := m.Checkout(ctx, "job-1", func(ctx context.Context, w io.Writer) error {
				_, _ = w.Write(archive[:len(archive)/2])
				cancel()
				_, writeErr = w.Write(archive[len(archive)/2:])
				return tc.after(ctx, writeErr)
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Checkout error = %v, want context.Canceled", err)
			}
			if !errors.Is(writeErr, context.Canceled) {
				t.Errorf("writing after the cancellation = %v, want context.Canceled", writeErr)
			}
			if got := names(t, m.Root); len(got) != 0 {
				t.Errorf("the work root holds %v, want nothing", got)
			}
		})
	}
}

// cancelDuringUnpack is a context that cancels itself at its n-th Err call after arm; the fetch arms it
// once the whole archive is written, so cancellation lands while unpacking, without racing a timer.
type cancelDuringUnpack struct {
	context.Context
	root string

	mu       sync.Mutex
	armed    bool
	left     int
	done     chan struct{}
	canceled bool
	unpacked int // entries already in the work directory when it canceled
}

func (c *cancelDuringUnpack) Done() <-chan struct{} { return c.done }

func (c *cancelDuringUnpack) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.canceled && c.armed {
		if c.left--; c.left <= 0 {
			c.canceled = true
			close(c.done)
			if dirs, err := os.ReadDir(c.root); err == nil && len(dirs) == 1 {
				entries, _ := os.ReadDir(filepath.Join(c.root, dirs[0].Name()))
				c.unpacked = len(entries)
			}
		}
	}
	if c.canceled {
		return context.Canceled
	}
	return nil
}

func (c *cancelDuringUnpack) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = true
}

func TestCheckoutStopsWhenCanceledDuringUnpacking(t *testing.T) {
	t.Parallel()
	archive := randomArchive(t, 64, 16<<10) // 1 MiB that does not compress: many reads to unpack it
	m := newManager(t)
	ctx := &cancelDuringUnpack{Context: t.Context(), root: m.Root, left: 4, done: make(chan struct{})}
	_, err := m.Checkout(ctx, "job-1", func(_ context.Context, w io.Writer) error {
		_, err := w.Write(archive)
		ctx.arm()
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Checkout error = %v, want context.Canceled", err)
	}
	if ctx.unpacked == 0 {
		t.Errorf("the cancellation came before unpacking started; the test no longer cancels midway")
	}
	if got := names(t, m.Root); len(got) != 0 {
		t.Errorf("the work root holds %v, want nothing", got)
	}
}
