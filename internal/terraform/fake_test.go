package terraform_test

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fake is testdata/fake-terraform.sh installed as "terraform" in a directory of its own, where it
// leaves what it saw.
type fake struct {
	t   *testing.T
	dir string
	bin string
}

// newFake installs the fake with the given settings (see the script's header).
func newFake(t *testing.T, settings map[string]string) *fake {
	t.Helper()
	script, err := os.ReadFile("testdata/fake-terraform.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "terraform")
	if err := os.WriteFile(bin, script, 0o755); err != nil {
		t.Fatal(err)
	}
	var conf strings.Builder
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&conf, "%s='%s'\n", k, settings[k])
	}
	if err := os.WriteFile(filepath.Join(dir, "fake.env"), []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return &fake{t: t, dir: dir, bin: bin}
}

// calls are the argument lists of every call, in order.
func (f *fake) calls() [][]string {
	f.t.Helper()
	file, err := os.Open(filepath.Join(f.dir, "calls.log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	defer file.Close()
	var calls [][]string
	current := []string{}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := sc.Text()
		if line == "END" {
			calls = append(calls, current)
			current = []string{}
			continue
		}
		current = append(current, strings.TrimPrefix(line, "ARG:"))
	}
	return calls
}

// shellOwn are variables the shell running the fake adds to its own environment.
var shellOwn = []string{"PWD", "OLDPWD", "SHLVL", "_"}

// env is the environment the last call of step got, minus what the shell adds itself.
func (f *fake) env(step string) map[string]string {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, "env."+step))
	if err != nil {
		f.t.Fatalf("the fake never ran %s: %v", step, err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if !slices.Contains(shellOwn, k) {
			env[k] = v
		}
	}
	return env
}

func (f *fake) file(name string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(f.dir, name))
	return string(data), err == nil
}

// waitGone waits until the process pid has exited (gone, or a zombie nobody reaped yet).
func waitGone(t *testing.T, pid string) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return true
		}
		// The state follows the parenthesised command name: "PID (sleep) Z ...".
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
