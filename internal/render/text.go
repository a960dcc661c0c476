package render

import (
	"strings"

	"github.com/classla/gantry/internal/plan"
)

// textView is a PlanComment prepared for a terminal: no Markdown, control characters removed.
type textView struct {
	Title       string
	Facts       string
	Failed      bool
	Error       string
	ErrorNote   string
	Line        string
	Outputs     string
	Warning     []string
	Cost        string
	Output      string
	OutputLines string
	Apply       string
	Replan      string
}

func plainText(s string) string {
	return strings.ReplaceAll(clean(s), "\n", " ")
}

func newTextView(c PlanComment) textView {
	v := textView{
		Facts:  facts(c, plainText),
		Failed: c.Failed(),
		Replan: plainText("/plan -p " + c.Project),
	}
	v.Title = plainText(c.Project) + " — plan"
	if v.Failed {
		v.Title += " failed"
	}
	if sha := shortCommit(c.Commit); sha != "" {
		v.Title += " for " + plainText(sha)
	}
	if v.Failed {
		tail, note := errorTail(c.Error)
		v.Error = strings.Join(tail, "\n")
		v.ErrorNote = note
	} else {
		v.Line = c.Summary.Format(thousands)
		v.Outputs = outputChanges(c.Summary, plainText)
		v.Warning = textWarning(c.Summary)
		v.Apply = applyHint(c, plainText)
		if c.Cost != nil {
			v.Cost = strings.TrimSpace(clean(c.Cost.Text()))
		}
	}
	if ls := lines(clean(c.Output)); len(ls) > 0 {
		v.Output = strings.Join(ls, "\n")
		v.OutputLines = plural(len(ls), "line", "lines")
	}
	return v
}

func textWarning(s *plan.Summary) []string {
	all, replaced := destroyed(s)
	if len(all) == 0 {
		return nil
	}
	out := []string{"WARNING: " + warningHeadline(len(all), replaced) + ":"}
	for _, ch := range all {
		item := "  - " + plainText(ch.Label())
		if ch.Action == plan.Replace && replaced < len(all) {
			item += " (replaced)"
		}
		out = append(out, item)
	}
	return out
}
