package pgtest

import "syscall"

// sysProcAttr runs a child as cred (nil: as this process) and, for the server, kills it when
// this process ends, however it ends. Go sets the parent-death signal after changing the
// credentials, which would otherwise clear it.
func sysProcAttr(cred *syscall.Credential, server bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Credential: cred}
	if server {
		a.Pdeathsig = syscall.SIGKILL
	}
	return a
}
