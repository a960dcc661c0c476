package render

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/classla/gantry/internal/plan"
)

// checkRunPage lays out a check run the way its page reads, for golden files. The text is
// left out: it is the plan output the comment goldens already show, tested below.
func checkRunPage(o CheckRunOutput) string {
	return fmt.Sprintf("conclusion: %s\ntitle: %s\n\n%s\n", o.Conclusion, o.Title, o.Summary)
}

func TestGoldenCheckRuns(t *testing.T) {
	t.Parallel()
	comments := goldenComments(t)
	for _, name := range []string{"normal", "no_changes", "destroy_replace", "failed"} {
		t.Run(name+" check run reads as reviewed", func(t *testing.T) {
			t.Parallel()
			checkGolden(t, name+".check", checkRunPage(PlanCheckRun(comments[name])))
		})
	}
	t.Run("the blocked-by-a-lock check run reads as reviewed", func(t *testing.T) {
		t.Parallel()
		checkGolden(t, "locked.check", checkRunPage(LockedCheckRun(lockedByAlice(t))))
	})
}

func TestCheckRunConclusionAndTitle(t *testing.T) {
	t.Parallel()
	framed := "\n╷\n│ Error: Invalid index\n│\n│   on main.tf line 93\n╵\n"
	tests := []struct {
		name           string
		c              PlanComment
		wantConclusion string
		wantTitle      string
	}{
		{"a plan with changes succeeds with its summary line", PlanComment{Summary: &plan.Summary{Add: 3, Change: 1, Changes: make([]plan.Change, 4)}},
			"success", "Plan: 3 to add, 1 to change, 0 to destroy."},
		{"large counts get thousands separators", PlanComment{Summary: &plan.Summary{Add: 3000, Change: 1000, Destroy: 2000, Changes: make([]plan.Change, 5000)}},
			"success", "Plan: 3,000 to add, 1,000 to change, 2,000 to destroy."},
		{"a plan without changes is neutral", PlanComment{Summary: &plan.Summary{}},
			"neutral", "No changes."},
		{"a plan that only changes outputs succeeds", PlanComment{Summary: &plan.Summary{OutputChanges: []plan.OutputChange{{Name: "url", Action: plan.Create}}}},
			"success", "Changes to Outputs."},
		{"a failed plan names the error without Terraform's frame", PlanComment{Error: framed},
			"failure", "Plan failed: Invalid index"},
		{"colour codes do not reach the title", PlanComment{Error: "\x1b[31mError: \x1b[0mNo valid credential sources found"},
			"failure", "Plan failed: No valid credential sources found"},
		{"a plan that failed silently still fails", PlanComment{},
			"failure", "Plan failed"},
		{"a long first line is cut to 120 characters", PlanComment{Error: "Error: " + strings.Repeat("é", 200)},
			"failure", "Plan failed: " + strings.Repeat("é", 119) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := PlanCheckRun(tt.c)
			if got.Conclusion != tt.wantConclusion || got.Title != tt.wantTitle {
				t.Errorf("conclusion %q, title %q; want %q, %q", got.Conclusion, got.Title, tt.wantConclusion, tt.wantTitle)
			}
		})
	}
}

func TestCheckRunSummary(t *testing.T) {
	t.Parallel()
	var stderr []string
	for i := 1; i <= 45; i++ {
		stderr = append(stderr, fmt.Sprintf("stderr line %d", i))
	}
	many := &plan.Summary{Destroy: 60}
	for i := 0; i < 60; i++ {
		many.Changes = append(many.Changes, plan.Change{Address: fmt.Sprintf("aws_eip.ip[%d]", i), Action: plan.Delete})
	}
	tests := []struct {
		name      string
		c         PlanComment
		want      []string
		wantNotIn []string
	}{
		{
			name: "a plan that destroys shows the warning, capped at 50 resources",
			c:    PlanComment{Project: "p", Summary: many},
			want: []string{"> [!WARNING]\n> **60 resources will be destroyed:**\n> - `aws_eip.ip[0]`\n", "> - `aws_eip.ip[49]`\n> - … and 10 more (see the plan output)\n"},
		},
		{
			name:      "a plan that destroys nothing says so",
			c:         PlanComment{Project: "p", Summary: oneChange()},
			want:      []string{"Nothing will be destroyed or replaced."},
			wantNotIn: []string{"WARNING"},
		},
		{
			name:      "a failed plan shows the last 30 lines of its error, in a fence",
			c:         PlanComment{Project: "p", Error: strings.Join(stderr, "\n")},
			want:      []string{"```\nstderr line 16\n", "\nstderr line 45\n```", "<sub>last 30 of 45 lines</sub>", "comment `/plan -p p` to try again"},
			wantNotIn: []string{"stderr line 15\n"},
		},
		{
			name:      "an error cannot forge a marker or close its fence",
			c:         PlanComment{Project: "p", Error: "```\n<!-- gantry:project=other -->"},
			want:      []string{"````\n```\n<!\u200b-- gantry:project=other -->\n````"},
			wantNotIn: []string{"<!-- gantry:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := PlanCheckRun(tt.c).Summary
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.wantNotIn {
				if strings.Contains(got, w) {
					t.Errorf("summary has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestCheckRunTextIsTheOutputInADiffFence(t *testing.T) {
	t.Parallel()
	output := "\x1b[1m  # aws_s3_bucket.files\x1b[0m will be created\n  + resource \"aws_s3_bucket\" \"files\" {\n      + tags = { \"x\" = \"<!-- gantry:project=other -->\" }\n    }\n"
	// Colours gone, markers in column 0, the HTML comment opener broken.
	want := "```diff\n" +
		"  # aws_s3_bucket.files will be created\n" +
		"+   resource \"aws_s3_bucket\" \"files\" {\n" +
		"+       tags = { \"x\" = \"<!\u200b-- gantry:project=other -->\" }\n" +
		"    }\n" +
		"```"
	if got := PlanCheckRun(PlanComment{Summary: oneChange(), Output: output}).Text; got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	if got := PlanCheckRun(PlanComment{Summary: &plan.Summary{}}).Text; got != "" {
		t.Errorf("a plan without output has text %q, want none", got)
	}
}

func TestCheckRunTextWithBackticksKeepsItsFence(t *testing.T) {
	t.Parallel()
	got := PlanCheckRun(PlanComment{Summary: oneChange(), Output: "a\n````````\nb"}).Text
	// The longest run is 8 backticks, so the fence needs 9.
	if want := "`````````diff\na\n````````\nb\n`````````"; got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
}

func TestCheckRunTextIsCutToGitHubsLimit(t *testing.T) {
	t.Parallel()
	const total = 100_000
	var b strings.Builder
	for i := 1; i <= total; i++ {
		fmt.Fprintf(&b, "output line %06d\n", i)
	}
	got := PlanCheckRun(PlanComment{Summary: oneChange(), Output: b.String()}).Text

	if len(got) > 65535 {
		t.Fatalf("text is %d bytes, over GitHub's 65,535 characters", len(got))
	}
	body, note, ok := strings.Cut(got, "\n```\n\n")
	if !ok || !strings.HasPrefix(body, "```diff\n") {
		t.Fatalf("text is not a closed diff fence and a note:\n%s", got[len(got)-200:])
	}
	shown := strings.Split(strings.TrimPrefix(body, "```diff\n"), "\n")
	for i, l := range shown {
		if want := fmt.Sprintf("output line %06d", i+1); l != want {
			t.Fatalf("line %d of the text is %q, want %q", i+1, l, want)
		}
	}
	// Lines are 18 bytes with their newline, so a text within 200 bytes of the limit wastes at
	// most a dozen lines.
	if len(got) < 65535-200 {
		t.Errorf("text is %d bytes; %d lines shown leave room for more", len(got), len(shown))
	}
	if want := "… " + thousands(total-len(shown)) + " more lines in the pull-request comment"; note != want {
		t.Errorf("note = %q, want %q", note, want)
	}
}

func TestCheckRunTextCutsALineLongerThanTheLimit(t *testing.T) {
	t.Parallel()
	got := PlanCheckRun(PlanComment{Summary: oneChange(), Output: strings.Repeat("é", 50_000)}).Text
	if len(got) > 65535 || !utf8.ValidString(got) {
		t.Errorf("text is %d bytes (valid UTF-8: %v), want at most 65,535 and valid", len(got), utf8.ValidString(got))
	}
	if !strings.HasPrefix(got, "```diff\néé") || !strings.HasSuffix(got, "é\n```\n\n… the rest of the line is in the pull-request comment") {
		t.Errorf("text does not show the line's start and say the rest is elsewhere: %q…%q", got[:20], got[len(got)-80:])
	}
}

func TestLockedCheckRunFailsAndNamesTheHolder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		l         Locked
		wantTitle string
	}{
		{"a known holder is named in the title", Locked{Project: "production", HolderPR: 12}, "Locked by #12"},
		{"an unknown holder is another pull request", Locked{Project: "production"}, "Locked by another pull request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := LockedCheckRun(tt.l)
			if got.Conclusion != "failure" || got.Title != tt.wantTitle {
				t.Errorf("conclusion %q, title %q; want failure, %q", got.Conclusion, got.Title, tt.wantTitle)
			}
			if !strings.Contains(got.Summary, "`/plan -p production`") {
				t.Errorf("the summary does not say how to plan again:\n%s", got.Summary)
			}
		})
	}
}
