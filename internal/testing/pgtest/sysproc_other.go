//go:build unix && !linux

package pgtest

import "syscall"

// sysProcAttr runs a child as cred (nil: as this process). Without a parent-death signal
// outside Linux, the server outlives a killed test binary; Main stops it otherwise.
func sysProcAttr(cred *syscall.Credential, _ bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
