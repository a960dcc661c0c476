package render

import (
	"fmt"
	"strings"
)

// Abandoned is the reply on a pull request whose job was cut off: the server stopped, or the
// worker running it died, before it finished.
type Abandoned struct {
	Kind  string // the job's kind: plan, apply, deploy…
	Error string // why it ended, as recorded: may carry Terraform's or AWS's words
	JobID int64
	Retry string // gantry's own sentence saying how to try again, with its commands in backticks
}

// AbandonedMarkdown is the reply for a. The recorded error is shown in a code block: it can hold
// text from Terraform, AWS or a pull request, and must not become HTML, a mention or a marker.
func AbandonedMarkdown(a Abandoned) string {
	var b strings.Builder
	fmt.Fprintf(&b, "⚠️ gantry stopped while running %s job for this pull request and did not finish it.\n\n", article(code(a.Kind)))
	if strings.TrimSpace(a.Error) != "" {
		b.WriteString(CodeBlock(a.Error))
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Nothing was retried automatically. %s, or see the server logs for job %d.\n", a.Retry, a.JobID)
	return b.String()
}

// article puts "a" or "an" before a code span, by the sound of its first letter.
func article(span string) string {
	word := strings.TrimLeft(span, "` ")
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + span
	}
	return "a " + span
}
