//go:build !linux

package terraform

import "os/exec"

// startInOwnGroup: outside Linux the step is killed on cancel, without a process group; gantry runs on
// Linux, this only keeps the package building elsewhere.
func startInOwnGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {}
