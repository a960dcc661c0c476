package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// Permission bits, as the kernel checks them against the owner, the group or everyone else.
const (
	permRead  = 4
	permWrite = 2
	permExec  = 1
)

// CheckReach says, before any job runs, whether the sandbox user can get to path: pass every
// directory on the way and, when exec is set, execute path itself. The error names the first
// directory or file in the way, its mode and owner, and what to change; what names path for the
// reader ("the Terraform binary (GANTRY_TERRAFORM_BIN)"). It is nil when the sandbox is off.
func (s *Sandbox) CheckReach(path, what string, exec bool) error {
	if !s.on {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// What a job's process has: the user and a job group, which owns nothing outside the jail.
	groups := []uint32{s.trustedGID, s.prGID}
	var chain []string
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		chain = append([]string{dir}, chain...)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	for _, dir := range chain {
		fi, err := os.Stat(dir)
		if errors.Is(err, fs.ErrNotExist) && !exec {
			break // the server creates the rest, with modes of its own choosing
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", what, path, err)
		}
		if !s.may(fi, permExec, groups) {
			return fmt.Errorf("the sandbox user %s cannot reach %s %s: the directory %s is %s; "+
				"let others pass it (chmod o+x %s) or move %s to a directory they can reach",
				s.name, what, path, dir, describe(fi), dir, what)
		}
	}
	if exec {
		fi, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("%s %s: %w", what, path, err)
		}
		if !s.may(fi, permExec, groups) {
			return fmt.Errorf("the sandbox user %s cannot run %s %s: it is %s; let others run it (chmod o+rx %s)",
				s.name, what, path, describe(fi), path)
		}
	}
	return nil
}

// CheckHidden says whether the sandbox user is kept from path: it must not read path (a file) or
// list it (a directory), nor write it. The error names the file, its mode and owner, and what to
// change. It is nil when the sandbox is off, and when path does not exist.
func (s *Sandbox) CheckHidden(path, what string) error {
	if !s.on {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	// Every group the user's processes may have, the docker CLI's included.
	groups := append([]uint32{s.gid, s.trustedGID, s.prGID}, s.userGroups...)
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for dir := filepath.Dir(abs); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if d, err := os.Stat(dir); err == nil && !s.may(d, permExec, groups) {
			return nil // a directory on the way keeps the user out
		}
	}
	if s.may(fi, permRead, groups) || s.may(fi, permWrite, groups) {
		mode := "600"
		if fi.IsDir() {
			mode = "700"
		}
		return fmt.Errorf("the sandbox user %s can read or write %s %s: it is %s; make it the server's alone (chmod %s %s)",
			s.name, what, path, describe(fi), mode, path)
	}
	return nil
}

// may reports whether the sandbox user, with groups, has the permission bit on fi. ACLs are not
// read: gantry's own files have none.
func (s *Sandbox) may(fi fs.FileInfo, bit uint32, groups []uint32) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := uint32(fi.Mode().Perm())
	switch {
	case st.Uid == s.uid:
		return perm>>6&bit != 0
	case slices.Contains(groups, st.Gid):
		return perm>>3&bit != 0
	default:
		return perm&bit != 0
	}
}

func describe(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("mode %04o, owned by uid %d gid %d", fi.Mode().Perm(), st.Uid, st.Gid)
	}
	return fmt.Sprintf("mode %04o", fi.Mode().Perm())
}
