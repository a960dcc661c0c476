package sandbox

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Jail is one job's place in the sandbox: a directory only the job's group may enter, and the group
// its processes run with. Close it when the job is done.
type Jail struct {
	sb     *Sandbox
	root   string
	gid    uint32
	pooled bool // gid is the job's own, from the pool
}

// NewJail makes root, a directory the server just created, the directory of one job: owned by the
// server, open to the job's group only (mode 0750). What the job's processes may write goes into
// directories handed over with Own or made with Private.
func (s *Sandbox) NewJail(root string) (*Jail, error) {
	j := &Jail{sb: s, root: root, gid: s.gid}
	if !s.on {
		return j, os.Chmod(root, 0o700)
	}
	if s.jobs != nil {
		gid, err := s.jobs.take()
		if err != nil {
			return nil, err
		}
		j.gid, j.pooled = gid, true
	}
	if err := os.Chown(root, s.serverUID, int(j.gid)); err != nil {
		j.Close()
		return nil, fmt.Errorf("giving the work directory to the sandbox's job group: %w", err)
	}
	if err := os.Chmod(root, 0o750); err != nil {
		j.Close()
		return nil, fmt.Errorf("opening the work directory to the sandbox's job group: %w", err)
	}
	return j, nil
}

// Root is the job's directory.
func (j *Jail) Root() string { return j.root }

// GID is the group the job's processes run with.
func (j *Jail) GID() uint32 { return j.gid }

// Own hands path and everything below it to the job's processes: owner the sandbox user, group
// the job's. Links are changed themselves, never followed.
func (j *Jail) Own(path string) error {
	if !j.sb.on {
		return nil
	}
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, int(j.sb.uid), int(j.gid)); err != nil {
			return fmt.Errorf("handing %s to the sandbox user: %w", p, err)
		}
		return nil
	})
}

// Private creates a new directory in the job's directory for the job's processes alone (a HOME, a
// TMPDIR), named after pattern as os.MkdirTemp names it.
func (j *Jail) Private(pattern string) (string, error) {
	dir, err := os.MkdirTemp(j.root, pattern)
	if err != nil {
		return "", fmt.Errorf("creating a private directory for the job: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	if err := j.Own(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// Close stops whatever the job's processes left running and frees the job's group. The directory
// stays: whoever created it removes it.
func (j *Jail) Close() {
	j.Reap()
	if j.pooled {
		j.sb.jobs.release(j.gid)
		j.pooled = false
	}
}

// Reap kills every process still running with the job's group: a child that left its process
// group (setsid, a daemon) would otherwise outlive the job. It does nothing when the job has no
// group of its own, since the group would then be shared with other jobs.
func (j *Jail) Reap() {
	if j.pooled {
		killGroupID(j.gid)
	}
}
