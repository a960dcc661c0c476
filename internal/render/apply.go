package render

import (
	"fmt"
	"strings"
	"time"
)

// ApplyMarker identifies a project's apply comment on a pull request.
func ApplyMarker(project string) string {
	return strings.Replace(Marker(project), "gantry:project=", "gantry:apply=", 1)
}

// ApplyComment is what one project's apply comment shows.
type ApplyComment struct {
	Project, Dir, Workspace string
	// Commit is the commit applied (the merge commit).
	Commit           string
	Tool             string // "Terraform" (when empty) or "OpenTofu"
	TerraformVersion string
	Duration         time.Duration
	// Output is what apply printed; Error its standard error when it failed.
	Output string
	Error  string
	// Held, when set, says why the apply waits instead of running (Markdown, written by gantry),
	// and Confirm is the command that releases it.
	Held    string
	Confirm string
	// Unplanned: the pull request was merged without a plan gantry showed.
	Unplanned bool
}

// ApplyMarkdown renders the comment of an apply: done, failed or held.
func ApplyMarkdown(a ApplyComment) string {
	var b strings.Builder
	b.WriteString(ApplyMarker(a.Project) + "\n")
	sha := code(shortSHA(a.Commit))
	switch {
	case a.Held != "":
		fmt.Fprintf(&b, "### ⏸️ %s — apply of %s is waiting\n", code(a.Project), sha)
	case strings.TrimSpace(a.Error) != "":
		fmt.Fprintf(&b, "### ❌ %s — apply of %s failed\n", code(a.Project), sha)
	default:
		fmt.Fprintf(&b, "### ✅ %s — applied %s\n", code(a.Project), sha)
	}
	b.WriteString(facts(PlanComment{Dir: a.Dir, Workspace: a.Workspace, Tool: a.Tool, TerraformVersion: a.TerraformVersion,
		Duration: a.Duration, Error: a.Error, Summary: nil}, code))
	b.WriteString("\n\n")
	if a.Unplanned {
		b.WriteString("This pull request was merged without a plan shown here, so gantry planned the merge commit and applied that.\n\n")
	}
	switch {
	case a.Held != "":
		b.WriteString(a.Held + "\n\n")
		fmt.Fprintf(&b, "To apply it anyway: `%s`\n", a.Confirm)
		return b.String()
	case strings.TrimSpace(a.Error) != "":
		errLines := lines(clean(a.Error))
		if len(errLines) > 30 {
			errLines = errLines[len(errLines)-30:]
		}
		f := newFence("", breakComments(strings.Join(errLines, "\n")))
		b.WriteString(f.Open + "\n" + f.Body + "\n" + f.Close + "\n\n")
		fmt.Fprintf(&b, "**The lock on %s stays with this pull request.** Fix the cause, then comment `/apply -p %s` to try again.\n\n",
			code(a.Project), a.Project)
	default:
		if l := applySummaryLine(a.Output); l != "" {
			b.WriteString("**" + l + "**\n\n")
		}
	}
	if out := lines(clean(a.Output)); len(out) > 0 {
		body := breakComments(strings.Join(diffMarkers(out), "\n"))
		f := newFence("diff", body)
		fmt.Fprintf(&b, "<details><summary>Show apply output (%s)</summary>\n\n%s\n%s\n%s\n\n</details>\n",
			plural(len(out), "line", "lines"), f.Open, f.Body, f.Close)
	}
	return b.String()
}

// applySummaryLine is Terraform's "Apply complete! Resources: …" line.
func applySummaryLine(out string) string {
	for _, l := range strings.Split(clean(out), "\n") {
		if strings.HasPrefix(l, "Apply complete!") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
