package workdir_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/workdir"
)

func extract(t *testing.T, archive []byte, lim workdir.Limits) (dest, commit string, err error) {
	t.Helper()
	dest = t.TempDir()
	commit, err = workdir.Extract(bytes.NewReader(archive), dest, lim)
	return dest, commit, err
}

func TestExtractRoundTripsARepository(t *testing.T) {
	t.Parallel()
	long := "docs/" + strings.Repeat("a-very-long-directory-name/", 5) + "notes.md" // over tar's 100-byte name field
	archive := build(t,
		global(commit),
		dir(top),
		dir(top+"terraform/"),
		file(top+"terraform/main.tf", "module \"net\" {\n  source = \"./modules/net\"\n}\n"),
		dir(top+"terraform/modules/"),
		dir(top+"terraform/modules/net/"),
		file(top+"terraform/modules/net/main.tf", "resource \"aws_vpc\" \"this\" {}\n"),
		symlink(top+"terraform/modules/shared", "net"),
		symlink(top+"terraform/versions.tf", "../versions.tf"),
		script(top+"scripts/deploy.sh", "#!/bin/sh\necho deploy\n"), // no entry for scripts/ itself
		file(top+"versions.tf", "terraform {}\n"),
		file(top+long, "long\n"),
		file(top+"README.md", "# lms\n"),
		hardlink(top+"README.copy.md", top+"README.md"),
		file(top+"empty.txt", ""),
		dir(top+"empty/"),
	)
	dest, gotCommit, err := extract(t, archive, workdir.Limits{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if gotCommit != commit {
		t.Errorf("commit = %q, want %q", gotCommit, commit)
	}
	// Everything under the top directory, without it; modes reduced to 0644/0755.
	want := map[string]string{
		"terraform":                     "dir 0755",
		"terraform/main.tf":             "file 0644 module \"net\" {\n  source = \"./modules/net\"\n}\n",
		"terraform/modules":             "dir 0755",
		"terraform/modules/net":         "dir 0755",
		"terraform/modules/net/main.tf": "file 0644 resource \"aws_vpc\" \"this\" {}\n",
		"terraform/modules/shared":      "link -> net",
		"terraform/versions.tf":         "link -> ../versions.tf",
		"scripts":                       "dir 0755",
		"scripts/deploy.sh":             "file 0755 #!/bin/sh\necho deploy\n",
		"versions.tf":                   "file 0644 terraform {}\n",
		"docs":                          "dir 0755",
		"README.md":                     "file 0644 # lms\n",
		"README.copy.md":                "file 0644 # lms\n",
		"empty.txt":                     "file 0644 ",
		"empty":                         "dir 0755",
	}
	for d := filepath.Dir(long); d != "."; d = filepath.Dir(d) {
		want[d] = "dir 0755"
	}
	want[long] = "file 0644 long\n"
	if diff := cmp.Diff(want, snapshot(t, dest)); diff != "" {
		t.Errorf("unpacked tree (-want +got):\n%s", diff)
	}
	body, err := os.ReadFile(filepath.Join(dest, "terraform/modules/shared/main.tf"))
	if err != nil || string(body) != "resource \"aws_vpc\" \"this\" {}\n" {
		t.Errorf("reading through the link modules/shared: %q, %v", body, err)
	}
}

func TestExtractReadsTheCommit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		entries []entry
		want    string
	}{
		{"the commit comes from the pax global header", []entry{global(commit), file(top+"a", "a")}, commit},
		{"an archive without a global header has no commit", []entry{file(top+"a", "a")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got, err := extract(t, build(t, tc.entries...), workdir.Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got != tc.want {
				t.Errorf("commit = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExtractRestrictsModesAndOwnership(t *testing.T) {
	t.Parallel()
	mode := func(e entry, m int64) entry { e.hdr.Mode = m; return e }
	foreign := file(top+"foreign", "f")
	foreign.hdr.Uid, foreign.hdr.Gid, foreign.hdr.Uname, foreign.hdr.Gname = 4321, 4321, "mallory", "mallory"
	archive := build(t,
		mode(dir(top), 0o1777),
		mode(file(top+"setuid", "s"), 0o4755),
		mode(file(top+"setgid", "g"), 0o2644),
		mode(file(top+"world-writable", "w"), 0o666),
		mode(file(top+"private", "p"), 0o600),
		mode(file(top+"owner-exec", "o"), 0o700),
		mode(file(top+"only-owner-x", "x"), 0o100),
		mode(file(top+"all", "a"), 0o777),
		mode(dir(top+"sticky/"), 0o1777),
		mode(dir(top+"setgid-dir/"), 0o2775),
		mode(dir(top+"read-only/"), 0o555),
		file(top+"read-only/inside", "i"), // still written: directories are 0755 while unpacking and after
		foreign,
	)
	dest, _, err := extract(t, archive, workdir.Limits{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	want := map[string]string{
		"setuid":           "file 0755 s",
		"setgid":           "file 0644 g",
		"world-writable":   "file 0644 w",
		"private":          "file 0644 p",
		"owner-exec":       "file 0755 o",
		"only-owner-x":     "file 0755 x",
		"all":              "file 0755 a",
		"sticky":           "dir 0755",
		"setgid-dir":       "dir 0755",
		"read-only":        "dir 0755",
		"read-only/inside": "file 0644 i",
		"foreign":          "file 0644 f",
	}
	if diff := cmp.Diff(want, snapshot(t, dest)); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
	info, err := os.Stat(filepath.Join(dest, "foreign"))
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid()) {
		t.Errorf("foreign is owned by %d:%d, want the process's %d:%d", st.Uid, st.Gid, os.Getuid(), os.Getgid())
	}
}

func TestExtractRefusesWhatIsNotARepositoryArchive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		archive func(t *testing.T) []byte
		want    error
		says    string
	}{
		{"zero bytes is empty", func(*testing.T) []byte { return nil }, workdir.ErrLayout, "empty"},
		{"a tar archive without entries is empty", func(t *testing.T) []byte { return build(t) }, workdir.ErrLayout, "no files"},
		{"an archive with only the global header is empty", func(t *testing.T) []byte { return build(t, global(commit)) }, workdir.ErrLayout, "no files"},
		{"an archive with only the top directory is empty", func(t *testing.T) []byte { return build(t, global(commit), dir(top)) }, workdir.ErrLayout, "no files"},
		{"two top-level directories are refused", func(t *testing.T) []byte {
			return build(t, dir(top), file(top+"a", "a"), dir("other/"), file("other/b", "b"))
		}, workdir.ErrLayout, `"other"`},
		{"a file at the top level is refused", func(t *testing.T) []byte { return build(t, file("README.md", "r")) }, workdir.ErrLayout, `"README.md"`},
		{"entries under ./ have no top-level directory", func(t *testing.T) []byte { return build(t, file("./main.tf", "m")) }, workdir.ErrLayout, `"./main.tf"`},
		{"text is not a gzip archive", func(*testing.T) []byte { return []byte("<html>rate limited</html>") }, workdir.ErrCorrupt, "download it again"},
		{"an archive cut in half is truncated", func(t *testing.T) []byte {
			a := randomArchive(t, 8, 4096)
			return a[:len(a)/2]
		}, workdir.ErrCorrupt, "unexpected EOF"},
		{"a wrong gzip checksum is corrupt", func(t *testing.T) []byte {
			a := randomArchive(t, 2, 100)
			a[len(a)-8] ^= 0xff // the trailer is CRC-32 then size, each 4 bytes
			return a
		}, workdir.ErrCorrupt, "checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := extract(t, tc.archive(t), workdir.Limits{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Extract error = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

// randomArchive holds n files of size incompressible bytes.
func randomArchive(t testing.TB, n, size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	entries := []entry{global(commit), dir(top)}
	for i := range n {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		entries = append(entries, file(top+"f"+strings.Repeat("x", i), string(b)))
	}
	return build(t, entries...)
}

func TestExtractStopsAtTheLimits(t *testing.T) {
	t.Parallel()
	four := func(names ...string) []entry {
		es := []entry{dir(top)}
		for _, n := range names {
			es = append(es, file(top+n, "1234"))
		}
		return es
	}
	for _, tc := range []struct {
		name    string
		entries []entry
		lim     workdir.Limits
		field   string // "" when the archive fits
	}{
		{"three 4-byte files fit in 12 bytes", four("a", "b", "c"), workdir.Limits{MaxBytes: 12}, ""},
		{"three 4-byte files exceed 11 bytes", four("a", "b", "c"), workdir.Limits{MaxBytes: 11}, "MaxBytes"},
		// Entries: the top directory and four files.
		{"five entries fit in five", four("a", "b", "c", "d"), workdir.Limits{MaxFiles: 5}, ""},
		{"five entries exceed four", four("a", "b", "c", "d"), workdir.Limits{MaxFiles: 4}, "MaxFiles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := extract(t, build(t, tc.entries...), tc.lim)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Extract: %v", err)
				}
				return
			}
			var le *workdir.LimitError
			if !errors.As(err, &le) || le.Field != tc.field {
				t.Fatalf("Extract error = %v, want a LimitError for %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), "raise Limits."+tc.field) {
				t.Errorf("error %q does not say which limit to raise", err)
			}
		})
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestExtractStopsADecompressionBombEarly(t *testing.T) {
	t.Parallel()
	bomb := build(t, global(commit), dir(top), file(top+"zeros", strings.Repeat("\x00", 32<<20)))
	in := &countingReader{r: bytes.NewReader(bomb)}
	dest := t.TempDir()
	_, err := workdir.Extract(in, dest, workdir.Limits{MaxBytes: 1 << 20})
	var le *workdir.LimitError
	if !errors.As(err, &le) || le.Field != "MaxBytes" {
		t.Fatalf("Extract error = %v, want a LimitError for MaxBytes", err)
	}
	// 32 MiB of zeros compress about a thousandfold; stopping at the header reads a few KiB of them.
	if in.n > len(bomb)/4 {
		t.Errorf("read %d of the archive's %d bytes before refusing; want it to stop at the header", in.n, len(bomb))
	}
	if got := names(t, dest); len(got) != 0 {
		t.Errorf("dest holds %v after the refusal, want nothing", got)
	}
}

func TestExtractUsesDefaultLimitsForZeroFields(t *testing.T) {
	t.Parallel()
	var le *workdir.LimitError
	// 2 GiB + 1 declared: refused from the header alone, so the test never writes that much.
	huge := entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: top + "huge", Mode: 0o644, Size: 2<<30 + 1}}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&huge.hdr); err != nil {
		t.Fatal(err)
	}
	_, err := workdir.Extract(gzipped(t, buf.Bytes()), t.TempDir(), workdir.Limits{MaxFiles: 10})
	if !errors.As(err, &le) || le.Field != "MaxBytes" || le.Max != 2<<30 {
		t.Errorf("Extract error = %v, want a LimitError for MaxBytes at 2 GiB", err)
	}
}
