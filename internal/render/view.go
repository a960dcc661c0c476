package render

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/classla/gantry/internal/plan"
)

// versionLike is a version number that needs no quoting: 1.5.7, 1.10.0-beta1.
var versionLike = regexp.MustCompile(`^[0-9][0-9A-Za-z.+-]*$`)

// errorLines is how much of a failed command's standard error a comment shows: the end,
// where Terraform prints the diagnostics that stopped it.
const errorLines = 30

func shortCommit(sha string) string {
	sha = strings.TrimSpace(sha)
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// humanDuration writes d the way a person reads a stopwatch: "4.2 s", "14 s", "2 min 5 s".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "under a second"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case s == 0:
		return fmt.Sprintf("%d min", m)
	default:
		return fmt.Sprintf("%d min %d s", m, s)
	}
}

// facts is the line under the heading: where the plan ran and how. quote writes a value
// that came from outside gantry (a code span in Markdown, the text itself on a terminal).
func facts(c PlanComment, quote func(string) string) string {
	var parts []string
	if c.Dir != "" {
		parts = append(parts, quote(c.Dir))
	}
	if c.Workspace != "" {
		parts = append(parts, "workspace "+quote(c.Workspace))
	}
	tool := "Terraform"
	if c.Tool == "OpenTofu" {
		tool = c.Tool
	}
	if v := strings.TrimSpace(c.TerraformVersion); versionLike.MatchString(v) {
		parts = append(parts, tool+" "+v)
	} else if v != "" {
		parts = append(parts, tool+" "+quote(v))
	}
	if c.Duration > 0 {
		verb := "planned in "
		if c.Failed() {
			verb = "failed after "
		}
		parts = append(parts, verb+humanDuration(c.Duration))
	}
	return strings.Join(parts, " · ")
}

// destroyed are the changes the destruction warning lists: every deletion and replacement.
func destroyed(s *plan.Summary) (all []plan.Change, replaced int) {
	if s == nil {
		return nil, 0
	}
	for _, ch := range s.Changes {
		switch ch.Action {
		case plan.Replace:
			replaced++
			all = append(all, ch)
		case plan.Delete:
			all = append(all, ch)
		}
	}
	return all, replaced
}

// warningHeadline is the first sentence of the destruction warning.
func warningHeadline(n, replaced int) string {
	switch {
	case n == 1 && replaced == 1:
		return "1 resource will be destroyed and replaced"
	case n == 1:
		return "1 resource will be destroyed"
	case replaced == n:
		return plural(n, "resource", "resources") + " will be destroyed and replaced"
	case replaced > 0:
		return fmt.Sprintf("%s will be destroyed, %s of them replaced", plural(n, "resource", "resources"), thousands(replaced))
	default:
		return plural(n, "resource", "resources") + " will be destroyed"
	}
}

var outputVerb = map[plan.Action]string{plan.Create: "new", plan.Update: "changed", plan.Delete: "removed"}

// outputChanges notes the root outputs that change, as Terraform's "Changes to Outputs".
func outputChanges(s *plan.Summary, quote func(string) string) string {
	if s == nil || len(s.OutputChanges) == 0 {
		return ""
	}
	items := make([]string, len(s.OutputChanges))
	for i, oc := range s.OutputChanges {
		items[i] = quote(oc.Name)
		if v, ok := outputVerb[oc.Action]; ok {
			items[i] += " (" + v + ")"
		}
	}
	return "Changes to Outputs: " + strings.Join(items, ", ")
}

// errorTail is the end of a failed command's standard error and, when lines were left
// out, a note saying how many.
func errorTail(stderr string) (tail []string, note string) {
	ls := lines(clean(stderr))
	if len(ls) == 0 {
		return []string{"Terraform failed without printing an error."}, ""
	}
	if len(ls) <= errorLines {
		return ls, ""
	}
	return ls[len(ls)-errorLines:], fmt.Sprintf("last %s of %s lines", thousands(errorLines), thousands(len(ls)))
}

// applyHint says what happens next to a plan that succeeded.
func applyHint(c PlanComment, quote func(string) string) string {
	switch {
	case c.Summary != nil && !c.Summary.HasChanges():
		return "Nothing to apply."
	case c.Apply == ApplyOnComment:
		return "To apply: " + quote("/apply -p "+c.Project)
	default:
		return "Applies automatically when this pull request is merged."
	}
}
