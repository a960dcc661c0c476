package sandbox

import "os"

// Trust says which shared plugin cache a run may use: pull-request code and code of the default
// branch never share one.
type Trust int

// Kinds of run.
const (
	// PullRequest code: plans of pull requests, and `/apply` of a pull request's own commit.
	PullRequest Trust = iota
	// Trusted code: a commit of the default branch (a merge or a direct push).
	Trusted
)

func (t Trust) String() string {
	if t == Trusted {
		return "trusted"
	}
	return "pull-request"
}

// Run says how one child process runs.
type Run struct {
	// Jail is the job the child belongs to. nil runs it with the sandbox user's own group, for steps
	// that run no code of a repository (`terraform version`).
	Jail *Jail
	Dir  string
	Env  []string // the whole environment: nothing of the server's is added
	// Cache, when set, grants the group of that trust's shared plugin cache (see PrepareCache).
	Cache *Trust
	// UserGroups grants the sandbox user's own supplementary groups, such as docker's for the docker CLI.
	UserGroups bool
}

func (s *Sandbox) cacheGID(t Trust) uint32 {
	if t == Trusted {
		return s.trustedGID
	}
	return s.prGID
}

// PrepareCache creates dir, when missing, as the provider plugin cache shared by runs of one trust:
// owned by the server and open to that trust's group only, so a pull request's run can neither read
// nor write the trusted cache.
func (s *Sandbox) PrepareCache(dir string, t Trust) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if !s.on {
		return os.Chmod(dir, 0o700)
	}
	if err := os.Chown(dir, s.serverUID, int(s.cacheGID(t))); err != nil {
		return err
	}
	return os.Chmod(dir, 0o770)
}
