package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// gantry runs the CLI in-process with the given environment and returns its exit code and output.
func gantry(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestVersionNamesTheGoItWasBuiltWith(t *testing.T) {
	t.Parallel()
	code, out, _ := gantry(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "gantry ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("exit %d, %q: want 0 and a line naming gantry and %s", code, out, runtime.Version())
	}
	code, out, _ = gantry(t, nil, "version", "--json")
	if code != 0 || !strings.Contains(out, `"go_version":"`+runtime.Version()+`"`) {
		t.Errorf("exit %d, %q: want JSON with go_version", code, out)
	}
}

func TestUsageMistakesExitWith2(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"an unknown subcommand", []string{"deploi"}, "unknown command"},
		{"an unknown flag", []string{"version", "--jsn"}, "unknown flag"},
		{"a missing argument", []string{"cost"}, "accepts 1 arg"},
		{"a missing required flag", []string{"deploy", "--ref", "abc"}, `"service" not set`},
		{"too many arguments", []string{"config", "validate", "a.yaml", "b.yaml"}, "accepts at most 1 arg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := gantry(t, nil, c.args...)
			if code != 2 || !strings.Contains(errOut, c.says) {
				t.Errorf("exit %d, stderr %q: want 2 mentioning %q", code, errOut, c.says)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, good, "version: 1\nprojects:\n  - dir: terraform/envs/production\nservices: []\n")
	writeFile(t, bad, "version: 1\nprojects:\n  - dir: terraform\n    when_modifed: [\"*.tf\"]\n    apply: {on: merged}\n")

	code, out, _ := gantry(t, nil, "config", "validate", good)
	if code != 0 || !strings.Contains(out, "is valid: 1 project(s), 0 service(s)") {
		t.Errorf("valid file: exit %d, %q", code, out)
	}
	code, out, errOut := gantry(t, nil, "config", "validate", bad)
	if code != 2 {
		t.Errorf("broken file: exit %d, want 2", code)
	}
	// Both problems, each with its line: the misspelt key on line 4, the bad value on line 5.
	for _, want := range []string{bad + ":4:5:", "when_modified", bad + ":5:", "merged"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	if !strings.Contains(errOut, "2 problem(s)") {
		t.Errorf("stderr %q, want the problem count", errOut)
	}
	code, _, errOut = gantry(t, nil, "config", "validate", filepath.Join(dir, "missing.yaml"))
	if code != 2 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPlanRendersASavedPlan(t *testing.T) {
	t.Parallel()
	example := filepath.Join("..", "..", "examples", "classla", "plan.json")
	code, out, errOut := gantry(t, nil, "plan", "examples/classla", "--from-json", example)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// What a reviewer must see first: whose comment, what happens, what is destroyed; the
	// Terraform output from the .txt beside the JSON comes collapsed at the end.
	for _, want := range []string{
		"<!-- gantry:project=examples-classla -->",
		"**Plan: 3 to add, 3 to change, 3 to destroy.**",
		"`module.network.aws_nat_gateway.this[1]`",
		// One NAT gateway (−$32.85) and its address (−$3.65) go; a web ACL with 3 rules comes
		// ($5 + 3 × $1 = $8.00); the task's memory grows by 1 GB (730 × $0.004445 = +$3.24).
		"−$32.85", "−$3.65", "+$8.00", "+$3.24",
		"<summary>Show plan output (",
		"Applies automatically when this pull request is merged.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
	code, out, _ = gantry(t, nil, "plan", "examples/classla", "--from-json", example, "--format", "json")
	if code != 0 || !strings.Contains(out, `"destroyed"`) {
		t.Errorf("--format json: exit %d, %q", code, out)
	}
}

func TestPlanRefusesWhatItCannotRender(t *testing.T) {
	t.Parallel()
	notPlan := filepath.Join(t.TempDir(), "state.json")
	writeFile(t, notPlan, `{"version": 4, "terraform_version": "1.5.7", "resources": []}`)
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"a file that is not a plan", []string{"plan", ".", "--from-json", notPlan}, "not a `terraform show -json` plan"},
		{"a missing file", []string{"plan", ".", "--from-json", notPlan + ".missing"}, "no such file"},
		{"an unknown format", []string{"plan", ".", "--from-json", notPlan, "--format", "html"}, "use markdown, text or json"},
		{"a directory that does not exist", []string{"plan", filepath.Join(t.TempDir(), "nowhere")}, "is not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := gantry(t, nil, c.args...)
			if code != 2 || !strings.Contains(errOut, c.says) {
				t.Errorf("exit %d, %q: want 2 saying %q", code, errOut, c.says)
			}
		})
	}
}

func TestPlanRunsTerraformInADirectory(t *testing.T) {
	t.Parallel()
	bin := os.Getenv("GANTRY_TERRAFORM_BIN")
	if bin == "" {
		t.Fatal("GANTRY_TERRAFORM_BIN is not set: run the tests with `make test`")
	}
	env := map[string]string{"GANTRY_TERRAFORM_BIN": bin}
	good, broken := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(good, "main.tf"), "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {}\n")
	writeFile(t, filepath.Join(broken, "main.tf"), "resource \"terraform_data\" {\n")

	code, out, errOut := gantry(t, env, "plan", good, "--project", "local", "--format", "text")
	if code != 0 || !strings.Contains(out, "Plan: 2 to add, 0 to change, 0 to destroy.") || !strings.Contains(out, "terraform_data.b will be created") {
		t.Errorf("exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	code, out, errOut = gantry(t, env, "plan", broken)
	if code != 1 || !strings.Contains(out, "Error") || !strings.Contains(errOut, "the plan failed") {
		t.Errorf("broken module: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}
