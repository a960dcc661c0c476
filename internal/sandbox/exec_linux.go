package sandbox

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// Command returns bin ready to start as r says: as the sandbox user when the sandbox is on, in a
// process group of its own that dies with gantry. Canceling ctx interrupts the whole group, as
// Ctrl-C in a terminal would (Terraform then releases its state lock and saves state); call Stop once
// the command has been waited for.
func (s *Sandbox) Command(ctx context.Context, r Run, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = r.Dir, r.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // never the server's own environment
	}
	attr := &syscall.SysProcAttr{
		Setpgid: true,
		// A gantry that dies abruptly must not leave a child running with nobody reading its output.
		// Go sets it after switching users, when the kernel would otherwise clear it.
		Pdeathsig: syscall.SIGKILL,
	}
	if s.on {
		gid := s.gid
		if r.Jail != nil {
			gid = r.Jail.gid
		}
		var groups []uint32
		if r.Cache != nil {
			groups = append(groups, s.cacheGID(*r.Cache))
		}
		if r.UserGroups {
			groups = append(groups, s.userGroups...)
		}
		// Groups is always set, so the server's own supplementary groups never pass to the child.
		attr.Credential = &syscall.Credential{Uid: s.uid, Gid: gid, Groups: append([]uint32{}, groups...)}
	}
	cmd.SysProcAttr = attr
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	return cmd
}

// Stop kills whatever is left of cmd's process group once cmd was waited for. The group id stays
// reserved while any member lives, so this cannot reach an unrelated process.
func Stop(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// killGroupID kills every process whose real, effective, saved or filesystem group id is gid, until
// none is left (a process may fork while the list is read).
func killGroupID(gid uint32) {
	want := []byte(strconv.FormatUint(uint64(gid), 10))
	for range 10 {
		found := false
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
			if err != nil {
				continue
			}
			if hasGroup(status, want) {
				found = true
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if !found {
			return
		}
	}
}

// hasGroup reports whether the "Gid:" line of a /proc/PID/status names gid.
func hasGroup(status, gid []byte) bool {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("Gid:"))
		if !ok {
			continue
		}
		for _, f := range bytes.Fields(rest) {
			if bytes.Equal(f, gid) {
				return true
			}
		}
		return false
	}
	return false
}
