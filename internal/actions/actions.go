// Package actions holds what a repository needs so gantry's GitHub Actions executor can run its
// jobs there: the workflow file the server dispatches (SPEC §7.5), kept here once and written
// out by `gantry setup workflow` and as this repository's own .github/workflows/gantry.yml.
package actions

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/classla/gantry/internal/version"
)

// WorkflowFile is where a repository keeps the workflow, and GANTRY_ACTIONS_WORKFLOW's default.
const WorkflowFile = ".github/workflows/gantry.yml"

//go:embed gantry.yml
var workflowText string

// The workflow is full of GitHub's ${{ … }} expressions, so the template's own actions use [[ … ]].
var workflowTemplate = template.Must(template.New("gantry.yml").Delims("[[", "]]").Option("missingkey=error").Parse(workflowText))

// Pin is what the workflow installs: gantry at the server's version, built with the server's Go.
type Pin struct {
	// Gantry is what `go install github.com/classla/gantry/cmd/gantry@…` takes: a module version
	// (v1.4.0, a pseudo-version) or a commit.
	Gantry string
	// Go is actions/setup-go's go-version: 1.26.8, 1.26 or stable.
	Go string
}

var (
	gantryRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)
	goVersion = regexp.MustCompile(`^(\d+\.\d+(\.\d+)?|stable)$`)
	// git describe --tags past a tag: v1.4.0-3-g1a2b3c4. Not a module version; its commit is.
	describeSuffix = regexp.MustCompile(`^.+-\d+-g([0-9a-f]{7,40})$`)
	commitHash     = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	releasedGo     = regexp.MustCompile(`^go(\d+\.\d+(\.\d+)?)$`)
)

// Workflow returns the workflow file pinned to p.
func Workflow(p Pin) ([]byte, error) {
	// Both values land in the workflow's YAML and the gantry one in a shell's environment: only
	// plain version characters, so neither can end a string or start a command.
	if !gantryRef.MatchString(p.Gantry) {
		return nil, fmt.Errorf("gantry version %q is not a module version or commit (like v1.4.0 or 1a2b3c4)", p.Gantry)
	}
	if !goVersion.MatchString(p.Go) {
		return nil, fmt.Errorf("go version %q is not one actions/setup-go takes (like 1.26.8, 1.26 or stable)", p.Go)
	}
	var b bytes.Buffer
	if err := workflowTemplate.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrNoVersion is returned by PinOf for a binary that knows neither its version nor its commit.
var ErrNoVersion = errors.New("this gantry binary was built without a version or commit")

// PinOf is the pin that installs the gantry described by in (normally version.Get() of the
// server's binary). modified reports a binary built from a changed tree: the pin then names
// the commit it was built from, without those changes. p.Go is set even when err is not nil.
func PinOf(in version.Info) (p Pin, modified bool, err error) {
	p.Go = "stable"
	if m := releasedGo.FindStringSubmatch(in.GoVersion); m != nil {
		p.Go = m[1]
	}
	v, modified := strings.CutSuffix(in.Version, "-dirty")
	modified = modified || in.Modified
	if m := describeSuffix.FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	if v == "" || v == "dev" {
		if !commitHash.MatchString(in.Commit) {
			return p, modified, ErrNoVersion
		}
		v = in.Commit
	}
	if !gantryRef.MatchString(v) {
		return p, modified, fmt.Errorf("this gantry binary's version %q is not a module version or commit", v)
	}
	p.Gantry = v
	return p, modified, nil
}
