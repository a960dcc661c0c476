package build

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// appDir is where the OCI builder puts the build context inside the image.
const appDir = "app"

// epoch is every entry's timestamp, so that the same context always makes the same layer.
var epoch = time.Unix(0, 0).UTC()

// writeContextTar writes the build context dir as a tar under app/, leaving out what .dockerignore
// excludes. Everything is read through an os.Root, so nothing outside dir is ever read: symlinks are
// stored as symlinks, never followed. Entries are in lexical order, owned by root, dated epoch, and
// keep their permission bits.
func writeContextTar(dir string, w io.Writer) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("opening the build context %s: %w", dir, err)
	}
	defer root.Close()
	ignore, err := readDockerignore(root)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: appDir + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
		return err
	}
	err = fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading the build context: %w", err)
		}
		if rel == "." {
			return nil
		}
		if ignore != nil {
			excluded, err := ignore.MatchesOrParentMatches(rel)
			if err != nil {
				return fmt.Errorf("matching .dockerignore against %s: %w", rel, err)
			}
			if excluded {
				// A directory may still hold files that a later "!pattern" takes back.
				if d.IsDir() && !ignore.Exclusions() {
					return fs.SkipDir
				}
				return nil
			}
		}
		return addEntry(tw, root, rel, d)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func readDockerignore(root *os.Root) (*patternmatcher.PatternMatcher, error) {
	f, err := root.Open(".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore has an invalid pattern: %w", err)
	}
	return pm, nil
}

func addEntry(tw *tar.Writer, root *os.Root, rel string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return fmt.Errorf("reading %s in the build context: %w", rel, err)
	}
	h := &tar.Header{
		Name:    path.Join(appDir, rel),
		Mode:    int64(info.Mode().Perm()),
		ModTime: epoch,
		Format:  tar.FormatPAX,
	}
	switch mode := info.Mode(); {
	case mode.IsDir():
		h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		return tw.WriteHeader(h)
	case mode&fs.ModeSymlink != 0:
		target, err := root.Readlink(rel)
		if err != nil {
			return fmt.Errorf("reading the link %s in the build context: %w", rel, err)
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
		return tw.WriteHeader(h)
	case mode.IsRegular():
		return addFile(tw, root, rel, h, info.Size())
	default:
		return fmt.Errorf("build context holds %s, which is neither a file, a directory nor a link (%s): remove it or list it in .dockerignore", rel, info.Mode().Type())
	}
}

func addFile(tw *tar.Writer, root *os.Root, rel string, h *tar.Header, size int64) error {
	f, err := root.Open(rel)
	if err != nil {
		return fmt.Errorf("opening %s in the build context: %w", rel, err)
	}
	defer f.Close()
	h.Typeflag, h.Size = tar.TypeReg, size
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, f, size); err != nil {
		return fmt.Errorf("reading %s in the build context (did it change during the build?): %w", rel, err)
	}
	return nil
}
