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

const marker = "<!-- gantry:project=production -->"

func newPRFake(t *testing.T) (*githubfake.Server, *github.Client) {
	t.Helper()
	fake := newFake(t)
	fake.AddPullRequest("classla/lms", githubfake.PR{Number: 7})
	return fake, newClient(t, fake)
}

func TestUpsertCommentCreatesThenEditsTheSameComment(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)

	first, err := c.UpsertComment(t.Context(), lms, 7, marker, marker+"\nPlan: 1 to add.")
	if err != nil {
		t.Fatalf("first UpsertComment: %v", err)
	}
	second, err := c.UpsertComment(t.Context(), lms, 7, marker, marker+"\nPlan: 2 to add.")
	if err != nil {
		t.Fatalf("second UpsertComment: %v", err)
	}

	comments := fake.Comments("classla/lms", 7)
	if len(comments) != 1 {
		t.Fatalf("the PR has %d comments, want the one comment edited in place", len(comments))
	}
	if diff := cmp.Diff(first, second); diff != "" || len(first) != 1 || first[0] != comments[0].ID {
		t.Errorf("IDs: first %v, second %v, stored %d; want the same single ID each time", first, second, comments[0].ID)
	}
	if comments[0].Body != marker+"\nPlan: 2 to add." || comments[0].User != fake.BotLogin() {
		t.Errorf("comment by %s reads %q, want the second body by %s", comments[0].User, comments[0].Body, fake.BotLogin())
	}
}

func TestUpsertCommentPutsTheMarkerFirstWhenTheBodyLacksIt(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	if _, err := c.UpsertComment(t.Context(), lms, 7, marker, "Plan: 1 to add."); err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	if got := fake.Comments("classla/lms", 7)[0].Body; got != marker+"\nPlan: 1 to add." {
		t.Errorf("body = %q, want the marker on the first line", got)
	}
}

func TestUpsertCommentLeavesOtherAuthorsCommentsAlone(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, author string }{
		{name: "a person quoting the marker", author: "alice"},
		{name: "another App's bot carrying the marker", author: "other-app[bot]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, c := newPRFake(t)
			quoted := "> " + marker + "\n> why does this destroy the NAT gateway?"
			theirs := fake.AddComment("classla/lms", 7, tt.author, quoted)

			ids, err := c.UpsertComment(t.Context(), lms, 7, marker, marker+"\nPlan: 1 to add.")
			if err != nil {
				t.Fatalf("UpsertComment: %v", err)
			}
			comments := fake.Comments("classla/lms", 7)
			if len(comments) != 2 || comments[0].ID != theirs || comments[0].Body != quoted {
				t.Fatalf("comments = %+v, want %s's comment untouched and a new one", comments, tt.author)
			}
			if len(ids) != 1 || ids[0] != comments[1].ID || comments[1].User != fake.BotLogin() {
				t.Errorf("upsert returned %v; want the ID of the App's new comment %d", ids, comments[1].ID)
			}
		})
	}
}

func TestUpsertCommentFindsItsCommentBeyondTheFirstPage(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	for i := range 120 {
		fake.AddComment("classla/lms", 7, "alice", fmt.Sprintf("comment %d", i))
	}
	first, err := c.UpsertComment(t.Context(), lms, 7, marker, marker+"\nv1")
	if err != nil {
		t.Fatalf("first UpsertComment: %v", err)
	}
	// The App's comment is the 121st: page 2 at 100 per page.
	second, err := c.UpsertComment(t.Context(), lms, 7, marker, marker+"\nv2")
	if err != nil {
		t.Fatalf("second UpsertComment: %v", err)
	}
	if len(fake.Comments("classla/lms", 7)) != 121 || first[0] != second[0] {
		t.Errorf("after two upserts there are %d comments (IDs %v then %v), want 121 and the same ID", len(fake.Comments("classla/lms", 7)), first, second)
	}
}

// longPlanBody is a plan comment whose ```diff output inside <details> makes it about size characters.
func longPlanBody(size int) (body string, outputLines []string) {
	var b strings.Builder
	b.WriteString(marker + "\n### `production` — plan for `a1b2c3d`\n\n**Plan: 900 to add.**\n\n")
	b.WriteString("<details><summary>Show plan output</summary>\n\n```diff\n")
	for i := 0; b.Len() < size-200; i++ {
		line := fmt.Sprintf("+ resource \"aws_route53_record\" \"r%05d\" { name = \"%05d.example.com\" } # padding……", i, i)
		outputLines = append(outputLines, line)
		b.WriteString(line + "\n")
	}
	b.WriteString("```\n\n</details>\n\nApplies automatically when this pull request is merged.")
	return b.String(), outputLines
}

// renders checks that a comment stands on its own: every ``` fence closed by a fence at least as long,
// every <details> closed, nothing closed that was not open.
func renders(body string) error {
	fence, depth := "", 0
	for i, line := range strings.Split(body, "\n") {
		ticks := len(line) - len(strings.TrimLeft(line, "`"))
		switch {
		case fence != "":
			if ticks >= len(fence) && strings.Trim(line, "`") == "" {
				fence = ""
			}
		case ticks >= 3:
			fence = line[:ticks]
		case strings.Contains(line, "</details>"):
			if depth--; depth < 0 {
				return fmt.Errorf("line %d closes a <details> that is not open", i+1)
			}
		case strings.Contains(line, "<details>"):
			depth++
		}
	}
	if fence != "" || depth != 0 {
		return fmt.Errorf("ends with fence %q open and %d <details> open", fence, depth)
	}
	return nil
}

func TestUpsertCommentSplitsALongBodyIntoPartsThatEachRender(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	body, output := longPlanBody(200_000)

	ids, err := c.UpsertComment(t.Context(), lms, 7, marker, body)
	if err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	comments := fake.Comments("classla/lms", 7)
	// 200,000 characters need at least ceil(200000/65536) = 4 comments.
	if len(comments) < 4 || len(ids) != len(comments) {
		t.Fatalf("got %d comments and %d IDs, want at least 4 of each", len(comments), len(ids))
	}
	var gotOutput []string
	for i, cm := range comments {
		if ids[i] != cm.ID {
			t.Errorf("ID %d is %d, want %d (reading order)", i, ids[i], cm.ID)
		}
		if n := utf8.RuneCountInString(cm.Body); n > github.MaxCommentLength {
			t.Errorf("part %d has %d characters, over GitHub's %d", i+1, n, github.MaxCommentLength)
		}
		if err := renders(cm.Body); err != nil {
			t.Errorf("part %d does not render on its own: %v", i+1, err)
		}
		if i > 0 {
			head := fmt.Sprintf("<!-- gantry:project=production part=%d -->\n**production — continued, part %d of %d**\n\n", i+1, i+1, len(comments))
			if !strings.HasPrefix(cm.Body, head) {
				t.Errorf("part %d starts %q, want %q", i+1, cm.Body[:min(len(cm.Body), 120)], head)
			}
			if strings.Contains(cm.Body, marker) {
				t.Errorf("part %d carries the main marker; a later upsert would take it for the main comment", i+1)
			}
		}
		for _, line := range strings.Split(cm.Body, "\n") {
			if strings.HasPrefix(line, "+ resource") {
				gotOutput = append(gotOutput, line)
			}
		}
	}
	if diff := cmp.Diff(output, gotOutput); diff != "" {
		t.Errorf("output lines across the parts differ from the original (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(comments[0].Body, marker+"\n### `production`") || !strings.HasSuffix(comments[len(comments)-1].Body, "when this pull request is merged.") {
		t.Errorf("the first part must start with the header and the last end with the footer")
	}
}

func TestUpsertCommentDeletesLeftoverPartsWhenTheBodyShrinks(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	long, _ := longPlanBody(200_000)
	before, err := c.UpsertComment(t.Context(), lms, 7, marker, long)
	if err != nil {
		t.Fatalf("long UpsertComment: %v", err)
	}

	after, err := c.UpsertComment(t.Context(), lms, 7, marker, marker+"\nNo changes.")
	if err != nil {
		t.Fatalf("short UpsertComment: %v", err)
	}
	comments := fake.Comments("classla/lms", 7)
	want := []githubfake.Comment{{ID: before[0], Body: marker + "\nNo changes.", User: fake.BotLogin(), UserType: "Bot"}}
	ignoreTimes := cmpopts.IgnoreFields(githubfake.Comment{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(want, comments, ignoreTimes); diff != "" {
		t.Errorf("after shrinking, comments differ (-want +got):\n%s", diff)
	}
	if len(after) != 1 || after[0] != before[0] {
		t.Errorf("IDs after shrinking = %v, want [%d]", after, before[0])
	}
	if got := len(requestsTo(fake, "DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")); got != len(before)-1 {
		t.Errorf("%d comments deleted, want the %d continuation parts", got, len(before)-1)
	}
}

func TestUpsertCommentKeepsPartsInOrderWhenSomeoneDeletedOne(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		deleted int // index of the part removed by hand
	}{
		{name: "the main comment was deleted", deleted: 0},
		{name: "a middle part was deleted", deleted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, c := newPRFake(t)
			long, _ := longPlanBody(200_000)
			before, err := c.UpsertComment(t.Context(), lms, 7, marker, long)
			if err != nil {
				t.Fatalf("first UpsertComment: %v", err)
			}
			fake.RemoveComment(before[tt.deleted])

			after, err := c.UpsertComment(t.Context(), lms, 7, marker, long)
			if err != nil {
				t.Fatalf("second UpsertComment: %v", err)
			}
			comments := fake.Comments("classla/lms", 7)
			if len(comments) != len(before) {
				t.Fatalf("%d comments after the upsert, want %d parts", len(comments), len(before))
			}
			for i, cm := range comments {
				if cm.ID != after[i] {
					t.Errorf("comment %d has ID %d, upsert reported %d", i, cm.ID, after[i])
				}
				if i == 0 && !strings.HasPrefix(cm.Body, marker) {
					t.Errorf("the first comment is not the main part: %.60q", cm.Body)
				}
				if i > 0 && !strings.HasPrefix(cm.Body, fmt.Sprintf("<!-- gantry:project=production part=%d -->", i+1)) {
					t.Errorf("comment %d is not part %d: %.60q", i, i+1, cm.Body)
				}
			}
			// Parts before the deleted one are kept, the rest replaced.
			if diff := cmp.Diff(before[:tt.deleted], after[:tt.deleted]); diff != "" {
				t.Errorf("parts before the deleted one were not reused (-before +after):\n%s", diff)
			}
		})
	}
}

func TestReplyPostsANewPlainComment(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	for range 2 {
		if _, err := c.Reply(t.Context(), lms, 7, "@alice `/apply` needs write permission."); err != nil {
			t.Fatalf("Reply: %v", err)
		}
	}
	comments := fake.Comments("classla/lms", 7)
	if len(comments) != 2 || comments[1].Body != "@alice `/apply` needs write permission." {
		t.Errorf("comments = %+v, want two identical replies, verbatim", comments)
	}
}

func TestUpsertCommentRejectsAMalformedMarker(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	_, err := c.UpsertComment(t.Context(), lms, 7, "gantry:project=production", "body")
	mustContain(t, err, "gantry:project=production", "<!-- KEY -->")
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("a malformed marker still made %d requests", n)
	}
}

// A 90-byte main.tf can print megabytes of plan: the pull request still gets at most
// MaxCommentParts comments, each rendering on its own, the last saying what was cut.
func TestAFloodingPlanFillsAtMostTenComments(t *testing.T) {
	t.Parallel()
	fake, c := newPRFake(t)
	body, output := longPlanBody(4 << 20)

	if _, err := c.UpsertComment(t.Context(), lms, 7, marker, body); err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	comments := fake.Comments("classla/lms", 7)
	if len(comments) != github.MaxCommentParts {
		t.Fatalf("a 4 MiB body made %d comments, want the cap of %d", len(comments), github.MaxCommentParts)
	}
	shown := 0
	for i, cm := range comments {
		if n := utf8.RuneCountInString(cm.Body); n > github.MaxCommentLength {
			t.Errorf("part %d has %d characters, over GitHub's %d", i+1, n, github.MaxCommentLength)
		}
		if err := renders(cm.Body); err != nil {
			t.Errorf("part %d does not render on its own: %v", i+1, err)
		}
		if i > 0 && !strings.Contains(cm.Body, fmt.Sprintf("part %d of %d**", i+1, github.MaxCommentParts)) {
			t.Errorf("part %d does not say it is part %d of %d", i+1, i+1, github.MaxCommentParts)
		}
		shown += strings.Count(cm.Body, "\n+ resource")
	}
	last := comments[len(comments)-1].Body
	if !strings.Contains(last, "gantry cut the last") || !strings.Contains(last, "MiB of this text here") {
		t.Errorf("the last part does not say what was cut:\n%s", last[max(0, len(last)-400):])
	}
	if shown == 0 || shown >= len(output) {
		t.Errorf("%d of %d output lines shown; want the first ones only", shown, len(output))
	}
}
