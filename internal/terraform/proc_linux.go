package terraform

import (
	"os/exec"
	"syscall"
)

// startInOwnGroup puts the step in a process group of its own, so canceling it reaches the providers
// and anything else it started, and makes cancellation interrupt the whole group first, as Ctrl-C in
// a terminal would: Terraform then stops gracefully, releasing the state lock and saving state.
func startInOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// A gantry that dies abruptly must not leave Terraform running with nobody reading its output.
		Pdeathsig: syscall.SIGKILL,
	}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	}
}

// killGroup kills whatever is left of the step's process group once its leader was waited for. The
// group id stays reserved while any member lives, so this cannot reach an unrelated process.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
