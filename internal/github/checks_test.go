package github_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/classla/gantry/internal/github"
	"github.com/classla/gantry/internal/testing/githubfake"
)

func TestCheckRunGoesFromInProgressToCompleted(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	c := newClient(t, fake)
	name := "gantry/plan: production"

	id, err := c.CreateCheckRun(t.Context(), lms, github.CheckRun{Name: name, HeadSHA: sha, Status: "in_progress", Title: "Planning"})
	if err != nil {
		t.Fatalf("CreateCheckRun: %v", err)
	}
	err = c.UpdateCheckRun(t.Context(), lms, id, github.CheckRun{
		Name: name, Status: "completed", Conclusion: "success", Title: "Plan: 1 to add", Summary: "**Plan: 1 to add, 0 to change, 0 to destroy.**",
		Text: "```diff\n+ aws_eip.nat\n```", DetailsURL: "https://gantry.example.com/jobs/3",
	})
	if err != nil {
		t.Fatalf("UpdateCheckRun: %v", err)
	}

	want := []githubfake.CheckRun{{
		ID: id, Name: name, HeadSHA: sha, Status: "completed", Conclusion: "success", Title: "Plan: 1 to add",
		Summary: "**Plan: 1 to add, 0 to change, 0 to destroy.**", Text: "```diff\n+ aws_eip.nat\n```",
		DetailsURL: "https://gantry.example.com/jobs/3",
	}}
	got := fake.CheckRuns("classla/lms")
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(githubfake.CheckRun{}, "StartedAt", "CompletedAt")); diff != "" {
		t.Errorf("check runs differ (-want +got):\n%s", diff)
	}
	if got[0].CompletedAt.IsZero() {
		t.Errorf("a completed check run has no completion time")
	}
}

func TestCheckRunTextOverGitHubsLimitIsCutWithANote(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	var text strings.Builder
	text.WriteString("```diff\n")
	for i := 0; text.Len() < 80_000; i++ {
		fmt.Fprintf(&text, "+ aws_route53_record.r%05d\n", i)
	}
	text.WriteString("```")

	// The fake refuses output over 65,535 characters with 422, as GitHub does.
	if _, err := newClient(t, fake).CreateCheckRun(t.Context(), lms, github.CheckRun{
		Name: "gantry/plan: production", HeadSHA: sha, Status: "completed", Conclusion: "neutral",
		Title: "Plan", Summary: "long", Text: text.String(),
	}); err != nil {
		t.Fatalf("CreateCheckRun: %v", err)
	}
	got := fake.CheckRuns("classla/lms")[0].Text
	if n := utf8.RuneCountInString(got); n > github.MaxCheckRunText {
		t.Errorf("stored text has %d characters, over %d", n, github.MaxCheckRunText)
	}
	if err := renders(got); err != nil {
		t.Errorf("cut text does not render: %v", err)
	}
	if !strings.Contains(got, "Truncated") || !strings.HasPrefix(got, "```diff\n+ aws_route53_record.r00000\n") {
		t.Errorf("cut text should keep the start and say it was truncated; it ends %q", got[len(got)-120:])
	}
}

func TestUpdateCheckRunNeedsTheName(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	err := newClient(t, fake).UpdateCheckRun(t.Context(), lms, 5, github.CheckRun{Status: "completed", Conclusion: "success"})
	mustContain(t, err, "check run 5", "name")
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests made for an update that GitHub would blank the name of", n)
	}
}
