package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classla/gantry/internal/sandbox"
	"github.com/classla/gantry/internal/testing/sandboxtest"
)

// sh runs a shell script as a child of the sandbox and returns what it printed and whether it exited 0.
func sh(t *testing.T, s *sandbox.Sandbox, r sandbox.Run, script string) (string, bool) {
	t.Helper()
	if r.Dir == "" {
		r.Dir = "/"
	}
	r.Env = append(r.Env, "PATH=/usr/bin:/bin")
	cmd := s.Command(context.Background(), r, "/bin/sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	sandbox.Stop(cmd)
	return out.String(), err == nil
}

// jail makes a job directory as the work directory manager does.
func jail(t *testing.T, s *sandbox.Sandbox, parent string) *sandbox.Jail {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "job-")
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.NewJail(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	return j
}

// serverFiles lays out a data directory as the server keeps it: passable, not listable, with a
// database only the server reads.
func serverFiles(t *testing.T) (dataDir, db string) {
	t.Helper()
	dataDir = sandboxtest.Reachable(t, t.TempDir())
	if err := os.Chmod(dataDir, 0o711); err != nil {
		t.Fatal(err)
	}
	db = filepath.Join(dataDir, "gantry.db")
	if err := os.WriteFile(db, []byte("SECRET-ROW"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dataDir, db
}

func TestAJobCannotReadTheServersFilesOrEnvironment(t *testing.T) {
	s := sandboxtest.New(t)
	dataDir, db := serverFiles(t)
	work := filepath.Join(dataDir, "work")
	if err := os.Mkdir(work, 0o711); err != nil {
		t.Fatal(err)
	}
	j := jail(t, s, work)
	src, err := j.Private("src-")
	if err != nil {
		t.Fatal(err)
	}

	// The child can work in its own directory...
	out, ok := sh(t, s, sandbox.Run{Jail: j, Dir: src}, "id -u; echo written > own.txt && cat own.txt")
	if !ok || !strings.Contains(out, "written") {
		t.Fatalf("the job could not use its own directory: %s", out)
	}
	if first := strings.Fields(out)[0]; first != strconv.Itoa(int(s.UID())) {
		t.Errorf("the child ran as uid %s, want the sandbox user's %d", first, s.UID())
	}
	// ...and nothing of the server's.
	for name, script := range map[string]string{
		"the database":              "cat " + db,
		"the data directory":        "ls " + dataDir,
		"the server's environment":  fmt.Sprintf("cat /proc/%d/environ", os.Getpid()),
		"the server's open files":   fmt.Sprintf("ls /proc/%d/fd", os.Getpid()),
		"the work directory root":   "ls " + work,
		"a file written beside it":  "echo x > " + filepath.Join(dataDir, "planted"),
		"the server's memory":       fmt.Sprintf("head -c 1 /proc/%d/mem", os.Getpid()),
		"the server's command line": fmt.Sprintf("cat /proc/%d/cwd/go.mod", os.Getpid()),
	} {
		if out, ok := sh(t, s, sandbox.Run{Jail: j, Dir: src}, script); ok || strings.Contains(out, "SECRET-ROW") {
			t.Errorf("the sandboxed job could read %s (%s): %q", name, script, out)
		}
	}
}

func TestAJobCannotReadAnotherJobsDirectoryOrEnvironment(t *testing.T) {
	s := sandboxtest.New(t)
	dataDir, _ := serverFiles(t)
	victim, attacker := jail(t, s, dataDir), jail(t, s, dataDir)
	if victim.GID() == attacker.GID() {
		t.Fatalf("two jobs got the same group %d", victim.GID())
	}
	vsrc, _ := victim.Private("src-")
	asrc, _ := attacker.Private("src-")
	if _, ok := sh(t, s, sandbox.Run{Jail: victim, Dir: vsrc}, "echo VICTIM-STATE > state.txt"); !ok {
		t.Fatal("the victim could not write its own file")
	}

	// The victim's long-running process holds a credential in its environment, as Terraform does.
	cmd := s.Command(context.Background(), sandbox.Run{Jail: victim, Dir: vsrc, Env: []string{"AWS_SECRET_ACCESS_KEY=VICTIM-KEY"}}, "/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sandbox.Stop(cmd); _ = cmd.Wait() }()

	for name, script := range map[string]string{
		"files":       "cat " + filepath.Join(vsrc, "state.txt"),
		"directory":   "ls " + victim.Root(),
		"environment": fmt.Sprintf("cat /proc/%d/environ", cmd.Process.Pid),
		"memory":      fmt.Sprintf("head -c 1 /proc/%d/mem", cmd.Process.Pid),
	} {
		out, ok := sh(t, s, sandbox.Run{Jail: attacker, Dir: asrc}, script)
		if ok || strings.Contains(out, "VICTIM") {
			t.Errorf("another job, running as the same user, could read the victim's %s: %q", name, out)
		}
	}
}

func TestAPullRequestRunCannotReachTheTrustedPluginCache(t *testing.T) {
	s := sandboxtest.New(t)
	dataDir, _ := serverFiles(t)
	caches := filepath.Join(dataDir, "plugin-cache")
	if err := os.Mkdir(caches, 0o711); err != nil {
		t.Fatal(err)
	}
	trustedDir, prDir := filepath.Join(caches, "trusted"), filepath.Join(caches, "pull-requests")
	trusted, pr := sandbox.Trusted, sandbox.PullRequest
	if err := s.PrepareCache(trustedDir, trusted); err != nil {
		t.Fatal(err)
	}
	if err := s.PrepareCache(prDir, pr); err != nil {
		t.Fatal(err)
	}
	j := jail(t, s, dataDir)
	if out, ok := sh(t, s, sandbox.Run{Jail: j, Cache: &trusted}, "mkdir -p "+trustedDir+"/registry && echo provider > "+trustedDir+"/registry/bin"); !ok {
		t.Fatalf("a trusted run could not fill its cache: %s", out)
	}
	if out, ok := sh(t, s, sandbox.Run{Jail: j, Cache: &pr}, "echo evil > "+prDir+"/planted"); !ok {
		t.Fatalf("a pull request's run could not fill its own cache: %s", out)
	}
	pj := jail(t, s, dataDir)
	for _, script := range []string{
		"echo evil > " + trustedDir + "/registry/bin",
		"echo evil > " + trustedDir + "/planted",
		"ls " + trustedDir,
	} {
		if out, ok := sh(t, s, sandbox.Run{Jail: pj, Cache: &pr}, script); ok {
			t.Errorf("a pull request's run reached the trusted cache with %q: %s", script, out)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(trustedDir, "registry", "bin")); string(got) != "provider\n" {
		t.Errorf("the trusted cache's provider is now %q", got)
	}
}

func TestAJobsProcessesDoNotOutliveIt(t *testing.T) {
	s := sandboxtest.New(t)
	dataDir, _ := serverFiles(t)
	j := jail(t, s, dataDir)
	src, _ := j.Private("src-")
	// setsid leaves the process group Stop kills: only the job's group finds it. The pid file is
	// written after setsid, so the script returns only once the daemon has left the group.
	out, ok := sh(t, s, sandbox.Run{Jail: j, Dir: src},
		`setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &
while [ ! -s daemon.pid ]; do sleep 0.01; done; cat daemon.pid`)
	if !ok {
		t.Fatalf("starting the daemon: %s", out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(out)
	}
	if !alive(pid) {
		t.Fatalf("the escaped process %d is not running before Close", pid)
	}
	j.Close()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("the job's escaped process %d still runs after the job ended", pid)
	}
}

// alive reports whether pid runs and is not a zombie waiting for its parent.
func alive(pid int) bool {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return err == nil && !bytes.Contains(status, []byte("State:\tZ"))
}

func TestCanceledChildrenStopAsAGroup(t *testing.T) {
	s := sandboxtest.New(t)
	dataDir, _ := serverFiles(t)
	j := jail(t, s, dataDir)
	dir, err := j.Private("run-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := s.Command(ctx, sandbox.Run{Jail: j, Dir: dir, Env: []string{"PATH=/usr/bin:/bin"}}, "/bin/sh", "-c", "sleep 300 & echo $! > pid; wait")
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		data, _ := os.ReadFile(filepath.Join(dir, "pid"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	if pid == 0 {
		t.Fatal("the child never wrote its grandchild's pid")
	}
	cancel()
	_ = cmd.Wait()
	sandbox.Stop(cmd)
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("the grandchild %d survived the cancel", pid)
	}
}

func TestCheckReachNamesTheDirectoryInTheWay(t *testing.T) {
	s := sandboxtest.New(t)
	home := sandboxtest.Reachable(t, t.TempDir())
	closed := filepath.Join(home, "home")
	if err := os.MkdirAll(filepath.Join(closed, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(closed, "bin", "terraform")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := s.CheckReach(bin, "the Terraform binary (GANTRY_TERRAFORM_BIN)", true)
	if err == nil {
		t.Fatal("a binary under a 0700 directory was found reachable")
	}
	for _, want := range []string{"nobody", closed + " is mode 0700", "chmod o+x " + closed, "GANTRY_TERRAFORM_BIN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if err := os.Chmod(closed, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckReach(bin, "the Terraform binary", true); err != nil {
		t.Errorf("a passable path was refused: %v", err)
	}
	if err := os.Chmod(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckReach(bin, "the Terraform binary", true); err == nil || !strings.Contains(err.Error(), "chmod o+rx") {
		t.Errorf("a binary only root may run was accepted: %v", err)
	}
	// The check agrees with the kernel.
	if _, ok := sh(t, s, sandbox.Run{}, bin); ok {
		t.Errorf("the kernel let the sandbox run %s, which the check refused", bin)
	}
}

func TestCheckHiddenRefusesSecretsOthersCanRead(t *testing.T) {
	s := sandboxtest.New(t)
	dir := sandboxtest.Reachable(t, t.TempDir())
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(key, []byte("KEY"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.CheckHidden(key, "the GitHub App's private key (GITHUB_APP_PRIVATE_KEY_FILE)")
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+key) || !strings.Contains(err.Error(), "mode 0644") {
		t.Errorf("a world-readable key file was not refused with its fix: %v", err)
	}
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckHidden(key, "the key"); err != nil {
		t.Errorf("a 0600 file of root's was refused: %v", err)
	}
	// A file the sandbox user owns is its to read, whatever the mode says.
	if err := os.Chown(key, int(s.UID()), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckHidden(key, "the key"); err == nil {
		t.Error("a file the sandbox user owns was taken as hidden from it")
	}
	if err := s.CheckHidden(dir, "the data directory (GANTRY_DATA_DIR)"); err != nil {
		t.Errorf("a passable, unlistable directory was refused: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckHidden(dir, "the data directory (GANTRY_DATA_DIR)"); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("a listable data directory was accepted: %v", err)
	}
}

func TestResolve(t *testing.T) {
	t.Run("a server that is not root runs without a sandbox and says so", func(t *testing.T) {
		s, err := sandbox.Resolve("", 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		if s.On() || !strings.Contains(s.Warning(), "not root") || !strings.Contains(s.Warning(), "GANTRY_SANDBOX_USER") {
			t.Errorf("On=%v warning %q", s.On(), s.Warning())
		}
	})
	t.Run("naming a user without being root is an error", func(t *testing.T) {
		_, err := sandbox.Resolve("nobody", 1000, "")
		if err == nil || !strings.Contains(err.Error(), "run gantry as root") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("root is no sandbox user", func(t *testing.T) {
		_, err := sandbox.Resolve("root", 0, "0 0 4294967295\n")
		if err == nil || !strings.Contains(err.Error(), "no sandbox") {
			t.Errorf("err = %v", err)
		}
		_, err = sandbox.Resolve("0", 0, "0 0 4294967295\n")
		if err == nil || !strings.Contains(err.Error(), "no sandbox") {
			t.Errorf("numeric uid 0: err = %v", err)
		}
	})
	t.Run("an unknown user is named with the fix", func(t *testing.T) {
		_, err := sandbox.Resolve("no-such-user-here", 0, "0 0 4294967295\n")
		if err == nil || !strings.Contains(err.Error(), `"no-such-user-here" is not a user`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unset, root falls back to nobody when gantry-run does not exist", func(t *testing.T) {
		if _, err := exec.LookPath("true"); err != nil {
			t.Fatal(err)
		}
		s, err := sandbox.Resolve("", 0, "0 0 4294967295\n")
		if err != nil {
			t.Fatal(err)
		}
		if !s.On() || !strings.HasPrefix(s.User(), sandbox.DefaultUser) && !strings.HasPrefix(s.User(), "nobody") {
			t.Errorf("On=%v user %q", s.On(), s.User())
		}
	})
	t.Run("a narrow gid map shares one group between jobs, with a warning", func(t *testing.T) {
		s, err := sandbox.Resolve("nobody", 0, "0 100000 65536\n")
		if err != nil {
			t.Fatal(err)
		}
		if !s.On() || !strings.Contains(s.Warning(), "jobs running at the same time can read each other's files") {
			t.Errorf("On=%v warning %q", s.On(), s.Warning())
		}
	})
}

func TestCheckHiddenAcceptsAFileBehindAClosedDirectory(t *testing.T) {
	s := sandboxtest.New(t)
	dir := sandboxtest.Reachable(t, t.TempDir())
	closed := filepath.Join(dir, "secrets")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(closed, "token")
	if err := os.WriteFile(token, []byte("T"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckHidden(token, "the token"); err != nil {
		t.Errorf("a readable file in a 0700 directory of root's was taken as readable: %v", err)
	}
	if out, ok := sh(t, s, sandbox.Run{}, "cat "+token); ok {
		t.Errorf("the kernel let the sandbox read %s: %s", token, out)
	}
	if err := os.Chmod(closed, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckHidden(token, "the token"); err == nil {
		t.Error("a world-readable file in a passable directory was taken as hidden")
	}
}
