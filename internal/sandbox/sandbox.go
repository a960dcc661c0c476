// Package sandbox is the one place gantry starts child processes (Terraform, OpenTofu, the docker
// CLI): each runs as the unprivileged GANTRY_SANDBOX_USER, with a group of its own job, in a
// directory the server prepared, in a process group that is stopped as a whole (SPEC §10).
//
// The user keeps a pull request's code away from the server: it cannot read the server's
// environment (/proc/PID/environ of another user), its data directory, database, key or token
// files. The per-job group keeps jobs away from each other, although they share the user: a job's
// directory is open to its group only, and Linux lets a process read another's /proc/PID/environ
// or ptrace it only when user *and* group match. Shared provider plugin caches are open to a group
// of their own, one for pull-request code and one for code of the default branch, so nothing a
// pull request's run writes is ever executed by a trusted run.
//
// When gantry does not run as root it cannot switch users: the sandbox is then off, every child
// runs as the server's user, and Warning says so for the log and the status page.
package sandbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"strconv"
	"sync"
)

// DefaultUser is the sandbox user the image creates; "nobody" stands in where it does not exist.
const DefaultUser = "gantry-run"

// Sandbox runs child processes as one unprivileged user. The zero value is unusable; use Resolve
// or Off.
type Sandbox struct {
	on       bool
	name     string // "gantry-run (uid 999)", for messages
	uid, gid uint32 // the user and its primary group
	// userGroups are the user's supplementary groups (say, docker), granted only to runs that ask.
	userGroups []uint32
	warning    string

	// trustedGID and prGID own the shared plugin caches of trusted runs and of pull requests.
	trustedGID, prGID uint32
	jobs              *groupPool // nil: jobs share the user's primary group (see Warning)
	serverUID         int
}

// Off is the sandbox of a server that cannot switch users (or of a command run by hand): children
// run as the calling user. why, when not empty, is the warning shown at start and on the status page.
func Off(why string) *Sandbox {
	return &Sandbox{warning: why, serverUID: os.Getuid(), uid: uint32(os.Getuid()), gid: uint32(os.Getgid())}
}

// Resolve picks the sandbox user of GANTRY_SANDBOX_USER (a name or a numeric uid) for a server
// running with effective uid euid. Unset, a server running as root uses DefaultUser if that user
// exists, else "nobody"; a server not running as root gets Off with a warning. gidMap is the
// content of /proc/self/gid_map ("" reads it), which says which group ids this process may use.
func Resolve(setting string, euid int, gidMap string) (*Sandbox, error) {
	if euid != 0 {
		if setting != "" {
			return nil, fmt.Errorf("GANTRY_SANDBOX_USER is %q, but gantry runs as uid %d and only root can run processes as another user: "+
				"run gantry as root (the image does) or unset GANTRY_SANDBOX_USER", setting, euid)
		}
		return Off(fmt.Sprintf("the sandbox is off: gantry runs as uid %d, not root, so Terraform runs as gantry's own user "+
			"and a pull request's code can read gantry's environment, data directory and secrets. Run gantry as root "+
			"(the image does) so it can run Terraform as GANTRY_SANDBOX_USER (SPEC §10)", euid)), nil
	}
	u, err := lookupUser(setting)
	if err != nil {
		return nil, err
	}
	if u.uid == 0 {
		return nil, fmt.Errorf("GANTRY_SANDBOX_USER %q is root (uid 0), which is no sandbox: name an unprivileged user such as %s or nobody", u.name, DefaultUser)
	}
	s := &Sandbox{on: true, name: fmt.Sprintf("%s (uid %d)", u.name, u.uid), uid: u.uid, gid: u.gid, userGroups: u.groups, serverUID: euid}
	if gidMap == "" {
		data, err := os.ReadFile("/proc/self/gid_map")
		if err != nil {
			return nil, fmt.Errorf("reading /proc/self/gid_map to choose the sandbox's job groups: %w", err)
		}
		gidMap = string(data)
	}
	base, size, ok := chooseGroups(gidMap)
	if !ok {
		// Without group ids of their own, jobs share the user's group: each is still kept from the
		// server, but not from the other jobs running at the same time.
		s.trustedGID, s.prGID = u.gid, u.gid
		s.warning = "the sandbox cannot give each job a group of its own (this process may use only the group ids in /proc/self/gid_map, " +
			"and none of them is a free range of " + strconv.Itoa(groupRange) + "): jobs running at the same time can read each other's files " +
			"and the pull-request plugin cache is the trusted one. Run gantry outside a user namespace, or with a wider gid map"
		return s, nil
	}
	s.trustedGID, s.prGID = base, base+1
	// A random start, so that a restart does not hand out the group ids the last run just used.
	s.jobs = &groupPool{base: base + 2, size: size - 2, next: rand.Uint32N(size - 2), used: map[uint32]bool{}}
	return s, nil
}

// On reports whether children run as the sandbox user.
func (s *Sandbox) On() bool { return s.on }

// User names the sandbox user, with its uid, for messages; "" when the sandbox is off.
func (s *Sandbox) User() string { return s.name }

// UID is the user children run as.
func (s *Sandbox) UID() uint32 { return s.uid }

// Warning is what the server logs at start and shows on its status page about the sandbox; "" when
// nothing is amiss.
func (s *Sandbox) Warning() string { return s.warning }

type account struct {
	name     string
	uid, gid uint32
	groups   []uint32
}

// lookupUser finds the sandbox user: setting may be a name or a numeric uid (a uid without an
// account runs with the group of the same number).
func lookupUser(setting string) (account, error) {
	names := []string{setting}
	if setting == "" {
		names = []string{DefaultUser, "nobody"}
	}
	var lastErr error
	for _, name := range names {
		u, err := user.Lookup(name)
		if err != nil {
			if n, perr := strconv.ParseUint(name, 10, 32); perr == nil {
				if u, err = user.LookupId(name); err != nil {
					return account{name: name, uid: uint32(n), gid: uint32(n)}, nil
				}
			}
		}
		if err != nil {
			lastErr = err
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return account{}, fmt.Errorf("the sandbox user %s has a uid or gid that is not a number: %w", name, err)
		}
		a := account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(g) != a.gid {
				a.groups = append(a.groups, uint32(g))
			}
		}
		return a, nil
	}
	if setting == "" {
		return account{}, fmt.Errorf("neither %s nor nobody exists to run Terraform as: create the user %s (useradd --system %s) "+
			"or set GANTRY_SANDBOX_USER to an unprivileged user: %w", DefaultUser, DefaultUser, DefaultUser, lastErr)
	}
	return account{}, fmt.Errorf("GANTRY_SANDBOX_USER %q is not a user of this machine: create it or name another unprivileged user: %w", setting, lastErr)
}

// groupRange is how many group ids the sandbox takes: two for the plugin caches, the rest handed
// to jobs in turn, so that a group id comes back to a new job only after about a million others
// (a set-group-id file a job left somewhere is worth nothing by then). The pool starts at a random
// place, so a restart does not hand out the ids the last run used either.
const groupRange = 1 << 20

// preferredGroupBase is far above the ids of ordinary groups and below the 2^31 some tools choke on.
const preferredGroupBase = 2_000_000_000

// chooseGroups finds groupRange free group ids this process may use: at preferredGroupBase when the
// map (the format of /proc/PID/gid_map: "inside outside count" lines) allows it.
func chooseGroups(gidMap string) (base, size uint32, ok bool) {
	for _, line := range splitLines(gidMap) {
		var inside, outside, count uint64
		if n, _ := fmt.Sscan(line, &inside, &outside, &count); n != 3 {
			continue
		}
		if inside <= preferredGroupBase && preferredGroupBase+groupRange <= inside+count {
			return preferredGroupBase, groupRange, true
		}
	}
	return 0, 0, false
}

func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '\n' {
			if i > start {
				lines = append(lines, s[start:i])
			}
			start = i + 1
		}
	}
	return lines
}

// groupPool hands out job group ids round the range, skipping those in use.
type groupPool struct {
	mu         sync.Mutex
	base, size uint32
	next       uint32
	used       map[uint32]bool
}

func (p *groupPool) take() (uint32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range p.size {
		gid := p.base + p.next
		p.next = (p.next + 1) % p.size
		if !p.used[gid] {
			p.used[gid] = true
			return gid, nil
		}
	}
	return 0, errors.New("every sandbox job group is in use")
}

func (p *groupPool) release(gid uint32) {
	p.mu.Lock()
	delete(p.used, gid)
	p.mu.Unlock()
}
