//go:build !linux

package sandbox

import (
	"context"
	"os/exec"
)

// Command outside Linux runs bin as the calling user, killed alone on cancel: gantry runs on Linux,
// this only keeps the package building elsewhere (Resolve turns the sandbox off there).
func (s *Sandbox) Command(ctx context.Context, r Run, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = r.Dir, r.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	return cmd
}

// Stop does nothing outside Linux.
func Stop(cmd *exec.Cmd) {}

func killGroupID(gid uint32) {}
