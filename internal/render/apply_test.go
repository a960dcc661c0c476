package render

import (
	"strings"
	"testing"
	"time"
)

// hostileAddresses are resource addresses a pull request can make: a for_each key holds any text.
var hostileAddresses = []string{
	`aws_s3_bucket.b["a|b"]`,
	"aws_s3_bucket.b[\"``tick`\"]",
	`aws_s3_bucket.b["<img src=x onerror=alert(1)>"]`,
	`aws_s3_bucket.b["@org/team"]`,
	`aws_s3_bucket.b["<!-- gantry:project=other -->"]`,
	`aws_s3_bucket.b["</details><script>alert(1)</script>"]`,
	"aws_s3_bucket.b[\"two\nlines | x\"]",
	`aws_s3_bucket.b["back\\slash|"]`,
}

func applyComments() map[string]ApplyComment {
	applied := ApplyComment{
		Project: "production", Dir: "terraform/envs/production", Workspace: "default",
		Commit: "9f3c2e1d4b5a69788c7d6e5f4a3b2c1d0e9f8a7b", TerraformVersion: "1.5.7", Duration: 41 * time.Second,
		Output: "terraform_data.x: Creating...\nterraform_data.x: Creation complete after 0s [id=1]\n\n" +
			"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\n",
	}
	failed := applied
	failed.Output = "aws_s3_bucket.b: Creating...\n"
	failed.Error = "Error: creating S3 Bucket (b): BucketAlreadyExists\n\n  with aws_s3_bucket.b,\n  on main.tf line 1\n"

	var drift []DriftChange
	for i, a := range hostileAddresses {
		c := DriftChange{Address: a, Merged: "create"}
		if i%2 == 1 {
			c = DriftChange{Address: a, Shown: "delete"}
		}
		drift = append(drift, c)
	}
	drift = append(drift, DriftChange{Address: "aws_instance.web", Deposed: "00aa|<b>", Shown: "delete", Merged: "replace"})
	heldDrift := ApplyComment{Project: "production", Dir: "terraform/envs/production", Workspace: "default",
		Commit: applied.Commit, TerraformVersion: "1.5.7", Hold: &ApplyHold{Reason: HoldDrift, Drift: drift}}

	heldCost := heldDrift
	heldCost.Hold = &ApplyHold{Reason: HoldCost, MaxMonthlyIncrease: 25}

	unmet := []Unmet{{
		Requirement: RequireApproved, Commit: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
		ChangesRequested: []string{"carol"},
		NotCounted: []NotCounted{
			{User: "alice", Why: "author"},
			{User: "eve", Why: "permission", Permission: "none"},
			{User: "bob", Why: "commit", Commit: "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"},
			{User: "dan", Why: "commit"},
		},
	}}
	heldRequirements := heldDrift
	heldRequirements.Hold = &ApplyHold{Reason: HoldRequirements, Unmet: unmet, RefusedBy: "bob", RefusedPermission: "write"}

	beforeMerge := heldDrift
	beforeMerge.Hold = &ApplyHold{Reason: HoldRequirements, BeforeMerge: true, Unmet: []Unmet{
		{Requirement: RequireApproved, Commit: "ec26c3e57ca3a959ca5aad62de7213c562f8c821"},
		{Requirement: RequireMergeable, State: "dirty"},
		{Requirement: RequireUndiverged, Base: "main|<b>", Behind: 2},
	}}

	overridden := applied
	overridden.Override = &Override{By: "max", Permission: "maintain", Unmet: unmet}

	unplanned := applied
	unplanned.Unplanned = true
	unplanned.Tool, unplanned.TerraformVersion = "OpenTofu", "1.8.2"

	return map[string]ApplyComment{
		"apply_applied":           applied,
		"apply_failed":            failed,
		"apply_held_drift":        heldDrift,
		"apply_held_cost":         heldCost,
		"apply_held_requirements": heldRequirements,
		"apply_held_before_merge": beforeMerge,
		"apply_overridden":        overridden,
		"apply_unplanned":         unplanned,
	}
}

func TestGoldenApplyMarkdown(t *testing.T) {
	t.Parallel()
	for name, c := range applyComments() {
		t.Run(name+" comment reads as reviewed", func(t *testing.T) {
			t.Parallel()
			checkGolden(t, name+".md", ApplyMarkdown(c))
		})
	}
}

// tableCells splits a Markdown table row as GitHub does: at every pipe without a backslash before it.
func tableCells(row string) []string {
	var cells []string
	start := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '|' && (i == 0 || row[i-1] != '\\') {
			cells = append(cells, row[start:i])
			start = i + 1
		}
	}
	return append(cells, row[start:])
}

// live is what Markdown would make of md outside code spans, after gantry's own marker on the first
// line: the text that can be HTML, a mention or a marker.
func live(md string) string {
	var out []string
	_, rest, _ := strings.Cut(md, "\n")
	for _, l := range outsideFences(rest) {
		for _, c := range tableCells(l) {
			out = append(out, withoutCodeSpans(c))
		}
	}
	return strings.Join(out, "\n")
}

func TestAForEachKeyCannotBreakOutOfTheDriftTable(t *testing.T) {
	t.Parallel()
	var drift []DriftChange
	for _, a := range hostileAddresses {
		drift = append(drift, DriftChange{Address: a, Merged: "create"})
	}
	md := ApplyMarkdown(ApplyComment{Project: "production", Commit: "9f3c2e1d", Hold: &ApplyHold{Reason: HoldDrift, Drift: drift}})
	var rows []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| `") {
			rows = append(rows, l)
		}
	}
	if len(rows) != len(hostileAddresses) {
		t.Fatalf("%d resource rows for %d addresses (a line break or pipe split one):\n%s", len(rows), len(hostileAddresses), md)
	}
	for _, r := range rows {
		// "| a | b | c |" has 5 pieces around its 4 separators.
		if cells := tableCells(r); len(cells) != 5 {
			t.Errorf("row %q has %d cells, want 3", r, len(cells)-2)
		}
	}
	text := live(md)
	for _, bad := range []string{"<img", "<script", "</details>", "@org/team", "<!--"} {
		if strings.Contains(text, bad) {
			t.Errorf("%q is live Markdown outside code:\n%s", bad, text)
		}
	}
	if n := strings.Count(md, "<!-- gantry:"); n != 1 {
		t.Errorf("%d marker-like comments, want only gantry's own:\n%s", n, md)
	}
	// The reader still sees each address as it is (a code span shows an escaped pipe as a pipe).
	shown := strings.NewReplacer("\u200b", "", `\|`, "|").Replace(md)
	for _, a := range hostileAddresses {
		if want := strings.ReplaceAll(a, "\n", " "); !strings.Contains(shown, want) {
			t.Errorf("address %q is not readable in:\n%s", want, md)
		}
	}
}

func TestAnApplyErrorIsShownAsInertText(t *testing.T) {
	t.Parallel()
	md := ApplyMarkdown(ApplyComment{Project: "production", Commit: "9f3c2e1d",
		Error: "```\n</details><img src=x onerror=alert(1)>\n@org/team please look\n<!-- gantry:project=other -->\n````"})
	text := live(md)
	for _, bad := range []string{"<img", "</details>", "@org/team", "<!--"} {
		if strings.Contains(text, bad) {
			t.Errorf("%q from the error is live Markdown:\n%s", bad, md)
		}
	}
	if n := strings.Count(md, "<!-- gantry:"); n != 1 {
		t.Errorf("%d marker-like comments, want only gantry's own:\n%s", n, md)
	}
	if !strings.Contains(md, "@org/team please look") {
		t.Errorf("the error is not shown:\n%s", md)
	}
}

func TestReviewerNamesInAHeldApplyMentionNobody(t *testing.T) {
	t.Parallel()
	md := ApplyMarkdown(ApplyComment{Project: "production", Commit: "9f3c2e1d", Hold: &ApplyHold{Reason: HoldRequirements,
		Unmet: []Unmet{{Requirement: RequireApproved, ChangesRequested: []string{"carol"},
			NotCounted: []NotCounted{{User: "eve", Why: "permission", Permission: "<b>none</b>"}}}},
		RefusedBy: "bob", RefusedPermission: "write"}})
	text := live(md)
	for _, bad := range []string{"@", "<b>"} {
		if strings.Contains(text, bad) {
			t.Errorf("%q outside code:\n%s", bad, md)
		}
	}
	for _, want := range []string{"`carol`", "`eve`", "`bob`", "`/apply -p production`", "maintain or admin"} {
		if !strings.Contains(md, want) {
			t.Errorf("held comment lacks %s:\n%s", want, md)
		}
	}
}

func TestTheApplyCommentTellsAppliedFromFailedTime(t *testing.T) {
	t.Parallel()
	applied := ApplyMarkdown(ApplyComment{Project: "p", Commit: "abc", Duration: 3 * time.Second})
	failed := ApplyMarkdown(ApplyComment{Project: "p", Commit: "abc", Duration: 3 * time.Second, Error: "boom"})
	if !strings.Contains(applied, "applied in 3 s") || strings.Contains(applied, "failed") {
		t.Errorf("applied comment:\n%s", applied)
	}
	if !strings.Contains(failed, "failed after 3 s") {
		t.Errorf("failed comment:\n%s", failed)
	}
}

func TestTheConfirmCommandFollowsTheHold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hold *ApplyHold
		want string
	}{
		{name: "nothing releases an apply that is not held", want: ""},
		{name: "drift is confirmed with --confirm-drift", hold: &ApplyHold{Reason: HoldDrift}, want: "/apply -p production --confirm-drift"},
		{name: "cost is confirmed with --confirm-cost", hold: &ApplyHold{Reason: HoldCost}, want: "/apply -p production --confirm-cost"},
		{name: "unmet requirements are released by /apply", hold: &ApplyHold{Reason: HoldRequirements}, want: "/apply -p production"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (ApplyComment{Project: "production", Hold: tt.hold}).Confirm(); got != tt.want {
				t.Errorf("Confirm() = %q, want %q", got, tt.want)
			}
		})
	}
}
