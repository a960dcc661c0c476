package workdir

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxTrailer bounds what may follow the tar end marker inside the gzip stream (GitHub pads to 10 KiB
// records); reading it verifies the gzip checksum.
const maxTrailer = 1 << 20

// Extract unpacks the gzip-compressed tar archive r into dest, an existing empty directory, with the
// archive's single top-level directory stripped, and returns the commit recorded in its pax global header
// ("" when there is none).
//
// Nothing is written outside dest: names with "..", absolute names, names passing through a link of the
// archive, links leading outside the repository, and devices, FIFOs and other special files are refused
// with ErrUnsafe. Files get mode 0644, or 0755 when the archive marks them executable; directories 0755.
// On error dest may hold part of the archive, but no link in it leads outside; the caller removes it.
func Extract(r io.Reader, dest string, lim Limits) (commit string, err error) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return "", fmt.Errorf("opening the directory to unpack into: %w", err)
	}
	defer root.Close()
	x := &extractor{root: root, lim: lim.withDefaults(), kinds: map[string]byte{}, buf: make([]byte, 128<<10)}
	if err := x.run(r); err != nil {
		x.removeLinks()
		return "", err
	}
	return x.commit, nil
}

// extractor is the state of one Extract call. Paths are slash-separated and relative to dest.
type extractor struct {
	root    *os.Root
	lim     Limits
	top     string          // the archive's top-level directory
	kinds   map[string]byte // what the archive created at each path: tar.TypeDir, TypeReg or TypeSymlink
	links   []link
	last    string // name of the last entry read, for error messages
	entries int
	content int // entries below the top-level directory
	bytes   int64
	commit  string
	buf     []byte
}

type link struct{ name, rel, target string }

func (x *extractor) run(r io.Reader) error {
	gz, err := gzip.NewReader(r)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the archive is empty (0 bytes)", ErrLayout)
	}
	if err != nil {
		return corrupt("", err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return corrupt(x.last, err)
		}
		if err := x.entry(tr, hdr); err != nil {
			return err
		}
	}
	if n, err := io.Copy(io.Discard, io.LimitReader(gz, maxTrailer+1)); err != nil {
		return corrupt(x.last, err)
	} else if n > maxTrailer {
		return corrupt(x.last, fmt.Errorf("more than %d bytes follow the end of the tar archive", maxTrailer))
	}
	if x.content == 0 {
		return fmt.Errorf("%w: the archive holds no files", ErrLayout)
	}
	return x.checkLinks()
}

func (x *extractor) entry(tr *tar.Reader, hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		if x.commit == "" {
			x.commit = hdr.PAXRecords["comment"]
		}
		return nil
	}
	x.last = hdr.Name
	x.entries++
	if x.entries > x.lim.MaxFiles {
		return &LimitError{Field: "MaxFiles", Max: int64(x.lim.MaxFiles), What: "entries"}
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg, tar.TypeSymlink, tar.TypeLink:
	default:
		return unsafeEntry(hdr.Name, "is a %s; a repository holds only files, directories and links", typeName(hdr.Typeflag))
	}
	rel, err := x.relName(hdr.Name, hdr.Typeflag == tar.TypeDir)
	if err != nil || rel == "" {
		return err
	}
	x.content++
	if err := x.prepare(hdr, rel); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.mkdir(hdr.Name, rel)
	case tar.TypeReg:
		return x.writeFile(tr, hdr, rel)
	case tar.TypeSymlink:
		return x.symlink(hdr, rel)
	default:
		return x.hardlink(hdr, rel)
	}
}

// relName strips the top-level directory from an entry's name; "" is the top-level directory itself.
func (x *extractor) relName(name string, isDir bool) (string, error) {
	top, rel, reason := split(name)
	if reason != "" {
		return "", unsafeEntry(name, "%s", reason)
	}
	if top == "." {
		return "", fmt.Errorf("%w: entry %q is not inside a top-level directory; a GitHub archive has everything under OWNER-REPO-SHA/", ErrLayout, name)
	}
	if x.top == "" {
		x.top = top
	} else if top != x.top {
		return "", fmt.Errorf("%w: it has several top-level entries (%q and %q); a GitHub archive has everything under one OWNER-REPO-SHA/ directory", ErrLayout, x.top+"/", top)
	}
	if rel == "" && !isDir {
		return "", fmt.Errorf("%w: its top-level entry %q is not a directory; a GitHub archive has everything under one OWNER-REPO-SHA/ directory", ErrLayout, name)
	}
	return rel, nil
}

// split cuts an archive name into its top-level directory and the cleaned path below it; reason says
// why the name could reach outside the destination.
func split(name string) (top, rel, reason string) {
	switch {
	case name == "":
		return "", "", "has an empty name"
	case strings.HasPrefix(name, "/"):
		return "", "", "has an absolute path"
	case name == ".." || strings.HasPrefix(name, "../") || strings.HasSuffix(name, "/..") || strings.Contains(name, "/../"):
		return "", "", `has ".." in its path`
	}
	top, rest, _ := strings.Cut(name, "/")
	if strings.HasPrefix(rest, "/") {
		return "", "", "has a path that becomes absolute once the top-level directory is stripped"
	}
	if rel = path.Clean(rest); rel == "." {
		rel = ""
	}
	return top, rel, ""
}

// prepare refuses an entry that repeats an earlier one or passes through a link, and creates its parents.
func (x *extractor) prepare(hdr *tar.Header, rel string) error {
	if k := x.kinds[rel]; k != 0 && (k != tar.TypeDir || hdr.Typeflag != tar.TypeDir) {
		return unsafeEntry(hdr.Name, "appears twice in the archive")
	}
	for i := strings.IndexByte(rel, '/'); i >= 0; i = nextSlash(rel, i) {
		parent := rel[:i]
		switch x.kinds[parent] {
		case tar.TypeDir:
		case 0:
			if err := x.mkdir(hdr.Name, parent); err != nil {
				return err
			}
		case tar.TypeSymlink:
			return unsafeEntry(hdr.Name, "passes through the symbolic link %q created earlier in the archive", x.top+"/"+parent)
		default:
			return unsafeEntry(hdr.Name, "lies below %q, which the archive created as a file", x.top+"/"+parent)
		}
	}
	return nil
}

func nextSlash(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func (x *extractor) mkdir(name, rel string) error {
	if x.kinds[rel] == tar.TypeDir {
		return nil
	}
	if err := x.root.Mkdir(rel, 0o755); errors.Is(err, fs.ErrExist) {
		if fi, lerr := x.root.Lstat(rel); lerr != nil || !fi.IsDir() {
			return unsafeEntry(name, "would replace %q, which was already in the directory before unpacking", rel)
		}
	} else if err != nil {
		return fmt.Errorf("creating the directory %s: %w", rel, err)
	}
	// Mkdir's mode is filtered by the umask; the checkout must not depend on it.
	if err := x.root.Chmod(rel, 0o755); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", rel, err)
	}
	x.kinds[rel] = tar.TypeDir
	return nil
}

func (x *extractor) writeFile(tr *tar.Reader, hdr *tar.Header, rel string) error {
	if hdr.Size > x.lim.MaxBytes-x.bytes {
		return &LimitError{Field: "MaxBytes", Max: x.lim.MaxBytes, What: "unpacked bytes"}
	}
	x.bytes += hdr.Size
	mode := fileMode(hdr.Mode)
	f, err := x.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("creating %s: %w", rel, err)
	}
	src := &recordingReader{r: tr}
	_, err = io.CopyBuffer(writerOnly{f}, src, x.buf)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if src.err != nil {
		return corrupt(hdr.Name, src.err)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	x.kinds[rel] = tar.TypeReg
	return nil
}

// fileMode keeps only whether a file is executable: never setuid, setgid, sticky or writable by others.
func fileMode(tarMode int64) fs.FileMode {
	if tarMode&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func (x *extractor) symlink(hdr *tar.Header, rel string) error {
	target := hdr.Linkname
	switch {
	case target == "":
		return unsafeEntry(hdr.Name, "is a symbolic link with an empty target")
	case path.IsAbs(target):
		return unsafeEntry(hdr.Name, "is a symbolic link to the absolute path %q, outside the repository: make it relative or remove it", target)
	case !isLocal(path.Join(path.Dir(rel), target)):
		return unsafeEntry(hdr.Name, "is a symbolic link to %q, which leaves the repository: point it inside the repository or remove it", target)
	}
	if err := x.root.Symlink(target, rel); err != nil {
		return fmt.Errorf("creating the symbolic link %s: %w", rel, err)
	}
	x.kinds[rel] = tar.TypeSymlink
	x.links = append(x.links, link{name: hdr.Name, rel: rel, target: target})
	return nil
}

func (x *extractor) hardlink(hdr *tar.Header, rel string) error {
	top, target, reason := split(hdr.Linkname)
	if reason != "" || top != x.top || x.kinds[target] != tar.TypeReg {
		return unsafeEntry(hdr.Name, "is a hard link to %q, which is not a regular file earlier in the archive", hdr.Linkname)
	}
	if err := x.root.Link(target, rel); err != nil {
		return fmt.Errorf("creating the hard link %s: %w", rel, err)
	}
	x.kinds[rel] = tar.TypeReg
	return nil
}

// checkLinks follows every symbolic link through the others once all exist: each is inside the
// repository on its own, but a chain (a -> b/.., b -> .) can still lead out.
func (x *extractor) checkLinks() error {
	for _, l := range x.links {
		if _, err := resolve(x.root, path.Dir(l.rel), l.target, nil); err != nil {
			return unsafeEntry(l.name, "is a symbolic link to %q, which leads outside the repository through other links (%v): remove it", l.target, err)
		}
	}
	return nil
}

// removeLinks deletes the links a failed extraction created, so that none of them is followed later.
func (x *extractor) removeLinks() {
	for _, l := range x.links {
		_ = x.root.Remove(l.rel)
	}
}

func isLocal(cleaned string) bool {
	return cleaned != ".." && !strings.HasPrefix(cleaned, "../") && !path.IsAbs(cleaned)
}

func typeName(t byte) string {
	switch t {
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	case tar.TypeCont:
		return "contiguous file"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("entry of tar type %q", t)
}

// recordingReader remembers a read error so that it is reported as a corrupt archive, not as a failed write.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// writerOnly hides (*os.File).ReadFrom, whose fallback allocates a fresh buffer for every file.
type writerOnly struct{ io.Writer }
