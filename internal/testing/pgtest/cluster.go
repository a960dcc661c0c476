package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// throwaway is a PostgreSQL cluster started for one test binary.
type throwaway struct {
	dir    string
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startThrowaway initialises a cluster in a new directory of os.TempDir and starts its server.
func startThrowaway() (*throwaway, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, missingServer(err.Error())
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gantry-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("throwaway PostgreSQL cluster: %w", err)
	}
	c := &throwaway{dir: dir, exited: make(chan struct{})}
	if err := c.start(bin, cred); err != nil {
		_ = c.stop()
		return nil, fmt.Errorf("throwaway PostgreSQL cluster in %s: %w", dir, err)
	}
	return c, nil
}

func (c *throwaway) start(bin string, cred *syscall.Credential) error {
	if cred != nil {
		// initdb and postgres refuse to run as root: the cluster belongs to the user they run as.
		if err := os.Chown(c.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	data, sockets := filepath.Join(c.dir, "data"), filepath.Join(c.dir, "sockets")
	logPath := filepath.Join(c.dir, "server.log")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--no-locale")
	initdb.Dir, initdb.Env = c.dir, []string{"LC_ALL=C", "PATH=" + os.Getenv("PATH")}
	initdb.SysProcAttr = sysProcAttr(cred, false)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := os.Mkdir(sockets, 0o700); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(sockets, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", sockets,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300",
		// The data is thrown away: durability only slows the tests down.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	c.cmd.Dir, c.cmd.Env = c.dir, []string{"LC_ALL=C", "PATH=" + os.Getenv("PATH")}
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.SysProcAttr = sysProcAttr(cred, true)
	if err := startOnLockedThread(c.cmd, c.exited); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)

	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.url)
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		select {
		case <-c.exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited before accepting connections:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres did not accept connections within a minute: %w\n%s", err, log)
		}
	}
}

// startOnLockedThread starts cmd from a goroutine locked to its OS thread until cmd exits:
// the parent-death signal is sent when the thread that started the child ends, not the
// process, and the Go runtime may end threads.
func startOnLockedThread(cmd *exec.Cmd, exited chan<- struct{}) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the goroutine's end then ends its thread, after the server exited.
		if err := cmd.Start(); err != nil {
			started <- err
			close(exited)
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	return <-started
}

// stop shuts the server down (fast shutdown, then SIGKILL) and removes the cluster's directory.
func (c *throwaway) stop() error {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove the throwaway cluster: %w", err)
	}
	return nil
}

// findBinaries returns the directory that holds both initdb and postgres: the one on PATH, or
// the newest /usr/lib/postgresql/VERSION/bin (Debian keeps them off PATH).
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		_, err1 := os.Stat(filepath.Join(dir, "initdb"))
		_, err2 := os.Stat(filepath.Join(dir, "postgres"))
		if err1 == nil && err2 == nil {
			return dir, nil
		}
	}
	return "", errors.New("initdb and postgres are neither on PATH nor in /usr/lib/postgresql/*/bin")
}

// version is the major version in /usr/lib/postgresql/VERSION/bin.
func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// serverUser returns who initdb and postgres run as: nil (this process's user) unless this
// process is root, which they refuse; then the postgres user, or nobody.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
		}
	}
	return nil, missingServer("running as root, where initdb refuses to run, and neither a postgres nor a nobody user exists to run it as")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, port, _ := strings.Cut(l.Addr().String(), ":")
	return strconv.Atoi(port)
}
