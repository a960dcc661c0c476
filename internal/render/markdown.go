package render

import (
	"strings"

	"github.com/classla/gantry/internal/plan"
)

// markdownView is a PlanComment with every value escaped for the comment template.
type markdownView struct {
	Marker string
	Title  string
	Facts  string
	Failed bool
	Error  fence
	// ErrorNote says how much of the error is shown when it is cut.
	ErrorNote string
	// Line is the bold summary: Terraform's "Plan: …" line or "No changes.".
	Line    string
	Outputs string
	// Warning lists what will be destroyed, one quoted Markdown line each.
	Warning []string
	// Cost is the cost estimator's section, or empty.
	Cost        string
	Output      fence
	OutputLines string
	Apply       string
	Replan      string
	// Request says who asked for this plan and with which arguments; Caution that it can never be applied.
	Request string
	Caution string
}

func newMarkdownView(c PlanComment) markdownView {
	v := markdownView{
		Marker: Marker(c.Project),
		Facts:  facts(c, code),
		Failed: c.Failed(),
		Replan: code("/plan -p " + c.Project),
	}
	v.Title = "### 🏗️ " + code(c.Project) + " — plan"
	if v.Failed {
		v.Title = "### ❌ " + code(c.Project) + " — plan failed"
	}
	if sha := shortCommit(c.Commit); sha != "" {
		v.Title += " for " + code(sha)
	}
	if v.Failed {
		tail, note := errorTail(c.Error)
		v.Error = newFence("", breakComments(strings.Join(tail, "\n")))
		if note != "" {
			v.ErrorNote = "<sub>" + note + "</sub>"
		}
	} else {
		v.Line = c.Summary.Format(thousands)
		v.Outputs = outputChanges(c.Summary, code)
		v.Warning = markdownWarning(c.Summary)
		v.Apply = applyHint(c, code)
		if c.Unapplicable {
			v.Apply = "This plan cannot be applied."
		}
		if c.Cost != nil {
			v.Cost = breakComments(strings.TrimSpace(c.Cost.Markdown()))
		}
	}
	v.Request = requestLine(c)
	if c.Unapplicable {
		v.Caution = "**This plan can never be applied.** It was asked for by someone without write permission on this " +
			"repository, so it holds no lock and `/apply` will not use it. To apply " + code(c.Project) + ", someone with " +
			"write permission comments " + code("/plan -p "+c.Project) + " and applies that plan."
	}
	if ls := lines(clean(c.Output)); len(ls) > 0 {
		v.Output = newFence("diff", breakComments(strings.Join(diffMarkers(ls), "\n")))
		v.OutputLines = plural(len(ls), "line", "lines")
	}
	return v
}

// warningItems is how many destroyed resources the comment's warning names. Beyond it the
// list would push the rest of the comment out of sight (and a huge plan's list out of the
// first comment); the plan output below names them all.
const warningItems = 50

// markdownWarning is a GitHub alert naming the resources that will be destroyed; a
// replacement destroys the old object, so it is listed too.
func markdownWarning(s *plan.Summary) []string {
	all, replaced := destroyed(s)
	if len(all) == 0 {
		return nil
	}
	head := "**" + warningHeadline(len(all), replaced)
	if len(all) == 1 {
		return []string{head + ":** " + markdownItem(all[0], replaced == 0)}
	}
	out := []string{head + ":**"}
	for _, ch := range all[:min(len(all), warningItems)] {
		out = append(out, "- "+markdownItem(ch, replaced == 0))
	}
	if more := len(all) - warningItems; more > 0 {
		// A list item of its own: a plain line here would continue the last item's text.
		out = append(out, "- … and "+thousands(more)+" more (see the plan output)")
	}
	return out
}

func markdownItem(ch plan.Change, allDeleted bool) string {
	item := code(ch.Address)
	if ch.Deposed != "" {
		item += " (deposed object " + code(ch.Deposed) + ")"
	}
	if ch.Action == plan.Replace && !allDeleted {
		item += " (replaced)"
	}
	return item
}

// requestLine names who asked for the plan and the arguments they added, as inline code: a login
// is never written as an @mention, and arguments are the requester's text.
func requestLine(c PlanComment) string {
	if c.RequestedBy == "" && len(c.Args) == 0 {
		return ""
	}
	line := "Asked for"
	if c.RequestedBy != "" {
		line += " by " + code(c.RequestedBy)
	}
	if len(c.Args) > 0 {
		line += " with " + code("-- "+strings.Join(c.Args, " "))
	}
	return line + "."
}
