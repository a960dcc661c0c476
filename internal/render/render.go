// Package render turns a Terraform plan into what people read: the pull-request comment
// (Markdown, from the templates embedded in templates/) and the short comments shown while
// a plan runs or waits for a lock, the check run, the same content for a terminal, and a
// stable JSON object for scripts. It also cuts a comment too long for GitHub into parts
// that each render. Everything that comes from the repository or from Terraform's output is
// escaped so that it cannot break the comment around it or forge gantry's hidden markers.
package render

import (
	"embed"
	"strings"
	"text/template"
	"time"

	"github.com/classla/gantry/internal/plan"
)

// ApplyMode is how a project's plans get applied (apply.on in .gantry.yaml).
type ApplyMode string

// The apply modes of .gantry.yaml.
const (
	ApplyOnMerge   ApplyMode = "merge"
	ApplyOnComment ApplyMode = "comment"
)

// Cost is the cost section of a plan, rendered by the cost estimator. It is written
// between the destruction warning and the Terraform output.
type Cost interface {
	// Markdown is the section as it appears in the pull-request comment.
	Markdown() string
	// Text is the section for a terminal.
	Text() string
}

// PlanComment is everything one project's plan comment shows.
type PlanComment struct {
	Project   string
	Dir       string
	Workspace string
	// Commit is the commit planned; comments show its first seven characters.
	Commit           string
	TerraformVersion string
	// Tool names the binary that planned: "Terraform" (when empty) or "OpenTofu".
	Tool string
	// Duration is how long init and plan took; zero leaves it out.
	Duration time.Duration
	// Summary of the plan; nil when the plan failed before producing one.
	Summary *plan.Summary
	// Output is Terraform's human-readable plan (what `terraform show PLANFILE` prints),
	// or whatever Terraform printed on standard output before it failed.
	Output string
	// Error is Terraform's standard error when init or plan failed; non-empty means failed.
	Error string
	Apply ApplyMode
	// Cost is nil until a cost estimate is available; nothing is shown then.
	Cost Cost
	// RequestedBy is who commented `/plan` ("" for a plan of a push); Args the Terraform
	// arguments they gave after `--`. Both are shown, so a reader knows whose plan this is.
	RequestedBy string
	Args        []string
	// Unapplicable marks a plan asked for without write permission: it never locks and can
	// never be applied, and the comment says so instead of how to apply it.
	Unapplicable bool
}

// Failed reports whether the comment is about a failed plan.
func (c PlanComment) Failed() bool {
	return strings.TrimSpace(c.Error) != "" || c.Summary == nil
}

// Marker is the hidden first line that identifies a project's plan comment, so that the
// comment is found again and edited on the next plan. Characters a project name cannot
// contain (see .gantry.yaml validation) are replaced, so the marker is always one
// well-formed HTML comment.
func Marker(project string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '_'
	}, project)
	return "<!-- gantry:project=" + safe + " -->"
}

//go:embed templates/*.tmpl
var templateFiles embed.FS

var templates = template.Must(template.New("").ParseFS(templateFiles, "templates/*.tmpl"))

// PlanMarkdown renders the pull-request comment of one project's plan.
func PlanMarkdown(c PlanComment) (string, error) {
	return execute("plan.md.tmpl", newMarkdownView(c))
}

// PlanText renders the same content as PlanMarkdown for a terminal (`gantry plan --format text`).
func PlanText(c PlanComment) (string, error) {
	return execute("plan.txt.tmpl", newTextView(c))
}

func execute(name string, data any) (string, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		// The templates are embedded and tested, so this is a bug, not bad input.
		return "", err
	}
	return b.String(), nil
}
