package render

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// CheckRunOutput is what a project's check run shows (`gantry/plan: NAME` on the head commit).
type CheckRunOutput struct {
	// Conclusion is success, neutral or failure.
	Conclusion string
	// Title is one line: the plan's summary line, or why there is no plan.
	Title string
	// Summary is Markdown shown at the top of the check run's page.
	Summary string
	// Text is Markdown shown below the summary: the start of the Terraform output.
	Text string
}

// The conclusions of gantry's check runs.
const (
	ConclusionSuccess = "success"
	ConclusionNeutral = "neutral"
	ConclusionFailure = "failure"
)

// checkRunLimit is the most characters GitHub accepts in a check run's summary or text
// (github.MaxCheckRunText). Lengths here are bytes, which bound characters from above.
const checkRunLimit = 65535

// titleRunes caps a failed plan's title; the summary holds the whole error.
const titleRunes = 120

// PlanCheckRun is the check run of one project's plan: success when it changes something,
// neutral when it changes nothing, failure when it failed.
func PlanCheckRun(c PlanComment) CheckRunOutput {
	text := checkRunText(c.Output)
	if c.Failed() {
		title := "Plan failed"
		if first := firstErrorLine(c.Error); first != "" {
			title += ": " + first
		}
		return CheckRunOutput{Conclusion: ConclusionFailure, Title: title, Summary: failedCheckSummary(c), Text: text}
	}
	conclusion := ConclusionNeutral
	if c.Summary.HasChanges() {
		conclusion = ConclusionSuccess
	}
	return CheckRunOutput{Conclusion: conclusion, Title: c.Summary.Format(thousands), Summary: planCheckSummary(c), Text: text}
}

// LockedCheckRun is the check run of a project whose plan could not run because another
// pull request holds its lock. It fails: the pull request has no plan of the project, and a
// neutral check would let branch protection pass it as if it had one.
func LockedCheckRun(l Locked) CheckRunOutput {
	title := "Locked by another pull request"
	if l.HolderPR > 0 {
		title = "Locked by #" + strconv.Itoa(l.HolderPR)
	}
	return CheckRunOutput{
		Conclusion: ConclusionFailure,
		Title:      title,
		Summary:    lockedLine(l) + "\n\nNothing was planned. " + lockedNext(l),
	}
}

// planCheckSummary is what a reviewer must not miss: where the plan ran, what it destroys,
// what it costs, and what happens next.
func planCheckSummary(c PlanComment) string {
	var parts []string
	if f := facts(c, code); f != "" {
		parts = append(parts, f)
	}
	if o := outputChanges(c.Summary, code); o != "" {
		parts = append(parts, o)
	}
	if w := markdownWarning(c.Summary); len(w) > 0 {
		parts = append(parts, "> [!WARNING]\n> "+strings.Join(w, "\n> "))
	} else if c.Summary.HasChanges() {
		parts = append(parts, "Nothing will be destroyed or replaced.")
	}
	if c.Cost != nil {
		if cost := breakComments(strings.TrimSpace(c.Cost.Markdown())); cost != "" {
			parts = append(parts, cost)
		}
	}
	parts = append(parts, applyHint(c, code))
	return strings.Join(parts, "\n\n")
}

// failedCheckSummary shows the end of the error, as the comment does.
func failedCheckSummary(c PlanComment) string {
	var parts []string
	if f := facts(c, code); f != "" {
		parts = append(parts, f)
	}
	tail, note := errorTail(c.Error)
	f := newFence("", breakComments(strings.Join(tail, "\n")))
	parts = append(parts, f.Open+"\n"+f.Body+"\n"+f.Close)
	if note != "" {
		parts = append(parts, "<sub>"+note+"</sub>")
	}
	parts = append(parts, "Fix the error and push, or comment "+code("/plan -p "+c.Project)+" to try again.")
	return strings.Join(parts, "\n\n")
}

// errorFrame is the box Terraform draws around a diagnostic.
const errorFrame = "╷│╵ \t"

// firstErrorLine is the first line of a failed command's error that says something, without
// Terraform's frame and its "Error: " prefix, cut to fit a title.
func firstErrorLine(stderr string) string {
	for _, l := range lines(clean(stderr)) {
		l = strings.TrimPrefix(strings.Trim(l, errorFrame), "Error: ")
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if utf8.RuneCountInString(l) > titleRunes {
			l = string([]rune(l)[:titleRunes-1]) + "…"
		}
		return l
	}
	return ""
}

// checkRunText is the start of the Terraform output in a ```diff fence, with the same
// safety as the comment's, cut to fit a check run; the comment has the rest.
func checkRunText(output string) string {
	ls := diffMarkers(lines(clean(output)))
	if len(ls) == 0 {
		return ""
	}
	longest := 0
	for i, l := range ls {
		ls[i] = breakComments(l)
		longest = max(longest, longestRun(ls[i], '`'))
	}
	ticks := strings.Repeat("`", max(3, longest+1))
	// The note after the fence never needs more than this: "\n\n… 999,999,999 more lines in …".
	const noteRoom = 100
	room := checkRunLimit - len(ticks+"diff\n") - len("\n"+ticks) - noteRoom

	var b strings.Builder
	b.WriteString(ticks + "diff")
	shown, size := 0, 0
	for _, l := range ls {
		if size+1+len(l) > room {
			break
		}
		b.WriteString("\n" + l)
		size += 1 + len(l)
		shown++
	}
	cutShort := shown == 0
	if cutShort {
		// A first line longer than the whole text: show its start.
		b.WriteString("\n" + cutLongLines(ls[:1], room-1)[0])
		shown = 1
	}
	b.WriteString("\n" + ticks)
	switch more := len(ls) - shown; {
	case more > 0:
		b.WriteString("\n\n… " + plural(more, "more line", "more lines") + " in the pull-request comment")
	case cutShort:
		b.WriteString("\n\n… the rest of the line is in the pull-request comment")
	}
	return b.String()
}
