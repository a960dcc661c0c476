package render

import (
	"strings"
	"testing"
)

func TestAbandonedJobReply(t *testing.T) {
	got := AbandonedMarkdown(Abandoned{Kind: "apply", JobID: 42,
		Error: "the server stopped while the job ran: terraform apply failed: exit status 1",
		Retry: "Comment `/apply` to apply again"})
	checkGolden(t, "abandoned.md", got)
}

// A job's error carries text a pull request or AWS chose: it is shown, never obeyed.
func TestAnAbandonedJobsErrorCannotWriteMarkdown(t *testing.T) {
	hostile := "```\n</details><img src=x onerror=alert(1)> @org/team <!-- gantry:project=production -->\n```"
	got := AbandonedMarkdown(Abandoned{Kind: "plan", JobID: 7, Error: hostile, Retry: "Comment `/plan` to plan again"})
	if strings.Contains(got, "<!-- gantry:project=production -->") {
		t.Errorf("the error forged gantry's marker:\n%s", got)
	}
	if err := balanced(got); err != nil {
		t.Errorf("the reply does not render on its own: %v\n%s", err, got)
	}
	for _, l := range outsideFences(got) {
		if strings.Contains(l, "<img") || strings.Contains(l, "@org/team") || strings.Contains(l, "</details>") {
			t.Errorf("the error escaped its code block: %q", l)
		}
	}
	fence := strings.SplitN(got, "\n", 4)[2]
	if !strings.HasPrefix(fence, "````") {
		t.Errorf("the error's own fence could close the code block: it opens with %q\n%s", fence, got)
	}
}
