package render

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/classla/gantry/internal/plan"
	"github.com/google/go-cmp/cmp"
)

// commentLimit is GitHub's limit on a comment, github.MaxCommentLength (that package
// imports this one, so the test cannot).
const commentLimit = 65536

// continuation is the heading the GitHub client gives continuation comments
// (internal/github, marker.partMarker and marker.heading).
func continuation(project string) func(n, of int) string {
	return func(n, of int) string {
		return fmt.Sprintf("<!-- gantry:project=%s part=%d -->\n**%s — continued, part %d of %d**", project, n, project, n, of)
	}
}

// outLine is one line of Terraform's plan output: its indentation, its change marker
// ("+", "~", "-", "-/+" or none) and the rest.
type outLine struct{ indent, marker, text string }

// terraform is the line as Terraform prints it.
func (l outLine) terraform() string {
	if l.marker == "" {
		return l.indent + l.text
	}
	return l.indent + l.marker + " " + l.text
}

// comment is the line as the comment must show it: the marker in column 0 for GitHub's diff
// colouring, the indentation after it so the text stays in its column.
func (l outLine) comment() string {
	if l.marker == "" {
		return l.indent + l.text
	}
	return l.marker + " " + l.indent + l.text
}

// resourceChange is the part of a `terraform show -json` resource change that plan.Summarize reads.
type resourceChange struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Index   int    `json:"index"`
	Change  struct {
		Actions []string `json:"actions"`
	} `json:"change"`
}

// hugePlan generates a plan of n resources (n a multiple of 5) as Terraform 1.5 would show
// it: of every five, two S3 buckets created, a log group updated, an Elastic IP destroyed
// and an instance replaced. It returns the plan JSON and the output lines.
func hugePlan(t testing.TB, n int) ([]byte, []outLine) {
	t.Helper()
	kinds := []struct {
		typ, name string
		actions   []string
		count     int
		block     func(k int) []outLine
	}{
		{"aws_cloudwatch_log_group", "app", []string{"update"}, n / 5, func(k int) []outLine {
			return []outLine{
				{"  ", "", fmt.Sprintf("# aws_cloudwatch_log_group.app[%d] will be updated in-place", k)},
				{"  ", "~", `resource "aws_cloudwatch_log_group" "app" {`},
				{"        ", "", fmt.Sprintf(`id                = "/ecs/app-%d"`, k)},
				{"      ", "~", "retention_in_days = 14 -> 30"},
				{"        ", "", "# (3 unchanged attributes hidden)"},
				{"    ", "", "}"},
			}
		}},
		{"aws_eip", "old", []string{"delete"}, n / 5, func(k int) []outLine {
			return []outLine{
				{"  ", "", fmt.Sprintf("# aws_eip.old[%d] will be destroyed", k)},
				{"  ", "-", `resource "aws_eip" "old" {`},
				{"      ", "-", fmt.Sprintf(`id        = "eipalloc-%017x" -> null`, k)},
				{"      ", "-", fmt.Sprintf(`public_ip = "44.0.%d.%d" -> null`, k/256, k%256)},
				{"    ", "", "}"},
			}
		}},
		{"aws_instance", "web", []string{"delete", "create"}, n / 5, func(k int) []outLine {
			return []outLine{
				{"  ", "", fmt.Sprintf("# aws_instance.web[%d] must be replaced", k)},
				{"", "-/+", `resource "aws_instance" "web" {`},
				{"      ", "~", `ami           = "ami-0a1b2c3d" -> "ami-0e4f5a6b" # forces replacement`},
				{"      ", "~", fmt.Sprintf(`id            = "i-%017x" -> (known after apply)`, k)},
				{"        ", "", `instance_type = "t3.micro"`},
				{"    ", "", "}"},
			}
		}},
		{"aws_s3_bucket", "logs", []string{"create"}, 2 * n / 5, func(k int) []outLine {
			return []outLine{
				{"  ", "", fmt.Sprintf("# aws_s3_bucket.logs[%d] will be created", k)},
				{"  ", "+", `resource "aws_s3_bucket" "logs" {`},
				{"      ", "+", "arn    = (known after apply)"},
				{"      ", "+", fmt.Sprintf(`bucket = "logs-%05d"`, k)},
				{"      ", "+", "id     = (known after apply)"},
				{"    ", "", "}"},
			}
		}},
	}
	out := []outLine{
		{"", "", "Terraform used the selected providers to generate the following execution"},
		{"", "", "plan. Resource actions are indicated with the following symbols:"},
		{"  ", "+", "create"},
		{"  ", "~", "update in-place"},
		{"  ", "-", "destroy"},
		{"", "-/+", "destroy and then create replacement"},
		{},
		{"", "", "Terraform will perform the following actions:"},
	}
	var changes []resourceChange
	for _, kind := range kinds {
		for k := 0; k < kind.count; k++ {
			rc := resourceChange{Address: fmt.Sprintf("%s.%s[%d]", kind.typ, kind.name, k), Mode: "managed", Type: kind.typ, Name: kind.name, Index: k}
			rc.Change.Actions = kind.actions
			changes = append(changes, rc)
			out = append(out, outLine{})
			out = append(out, kind.block(k)...)
		}
	}
	out = append(out, outLine{}, outLine{text: fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", 3*n/5, n/5, 2*n/5)})
	planJSON, err := json.Marshal(map[string]any{
		"format_version":    "1.2",
		"terraform_version": "1.5.7",
		"planned_values":    map[string]any{"root_module": map[string]any{}},
		"resource_changes":  changes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return planJSON, out
}

func hugeComment(t testing.TB, n int) (PlanComment, []outLine) {
	t.Helper()
	planJSON, out := hugePlan(t, n)
	s, err := plan.Summarize(planJSON)
	if err != nil {
		t.Fatal(err)
	}
	text := make([]string, len(out))
	for i, l := range out {
		text[i] = l.terraform()
	}
	return PlanComment{
		Project: "huge", Dir: "infra/huge", Workspace: "default", Commit: "5000aaaabbbbccccdddd",
		TerraformVersion: "1.5.7", Summary: s, Output: strings.Join(text, "\n") + "\n", Apply: ApplyOnMerge,
	}, out
}

var diffFence = regexp.MustCompile("^(`{3,})diff$")

// balanced checks that a comment renders on its own: every fence closed by a fence at least as
// long, and outside fences every </details> closing an open <details>, none left open.
func balanced(md string) error {
	closing, depth := "", 0
	for i, l := range strings.Split(md, "\n") {
		if closing != "" {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, closing) && strings.Trim(t, "`") == "" {
				closing = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(l); m != nil {
			closing = m[1]
			continue
		}
		depth += strings.Count(l, "<details>")
		if depth -= strings.Count(l, "</details>"); depth < 0 {
			return fmt.Errorf("line %d closes a <details> that is not open", i+1)
		}
	}
	if closing != "" || depth != 0 {
		return fmt.Errorf("ends with a %q fence and %d <details> open", closing, depth)
	}
	return nil
}

// fencedOutput is the lines of a part inside its ```diff fence, and the part's line numbers
// where they start.
func fencedOutput(part string) (out []string, start int) {
	ls := strings.Split(part, "\n")
	for i, l := range ls {
		m := diffFence.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		for j := i + 1; j < len(ls); j++ {
			if ls[j] == m[1] {
				return ls[i+1 : j], i + 1
			}
		}
		return ls[i+1:], i + 1
	}
	return nil, -1
}

func TestAHugePlanSplitsIntoCommentsThatEachRender(t *testing.T) {
	t.Parallel()
	c, out := hugeComment(t, 5000)
	md, err := PlanMarkdown(c)
	if err != nil {
		t.Fatal(err)
	}
	parts := Split(md, commentLimit, continuation("huge"))
	if min := (len(md) + commentLimit - 1) / commentLimit; len(parts) < min {
		t.Fatalf("%d parts, want at least %d for a %d-byte comment", len(parts), min, len(md))
	}

	var gotOutput []string
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); len(p) > commentLimit {
			t.Errorf("part %d is %d bytes (%d characters), over GitHub's %d", i+1, len(p), n, commentLimit)
		}
		// Output lines are under 100 bytes, so a cut wastes little: no more comments than needed.
		if i < len(parts)-1 && len(p) < commentLimit-1000 {
			t.Errorf("part %d is only %d bytes", i+1, len(p))
		}
		if err := balanced(p); err != nil {
			t.Errorf("part %d does not render on its own: %v", i+1, err)
		}
		if head := continuation("huge")(i+1, len(parts)) + "\n\n"; i > 0 && !strings.HasPrefix(p, head) {
			t.Errorf("part %d starts %q, want %q", i+1, p[:min(len(p), 100)], head)
		}
		fenced, _ := fencedOutput(p)
		gotOutput = append(gotOutput, fenced...)
	}

	var wantOutput []string
	for _, l := range out {
		wantOutput = append(wantOutput, l.comment())
	}
	if diff := cmp.Diff(wantOutput, gotOutput); diff != "" {
		t.Errorf("the output across the parts differs from Terraform's (-want +got):\n%s", diff)
	}

	// Of 5,000: 2,000 created and 1,000 replaced make 3,000 to add; 1,000 updated; 1,000
	// destroyed and 1,000 replaced make 2,000 to destroy. Sorted by address, the Elastic IPs
	// (destroyed) come before the instances (replaced), so the first 50 named are aws_eip.old[0..49].
	first := parts[0]
	for _, want := range []string{
		"<!-- gantry:project=huge -->\n### 🏗️ `huge` — plan for `5000aaa`\n",
		"\n**Plan: 3,000 to add, 1,000 to change, 2,000 to destroy.**\n",
		"\n> **2,000 resources will be destroyed, 1,000 of them replaced:**\n> - `aws_eip.old[0]`\n",
		"\n> - `aws_eip.old[49]`\n> - … and 1,950 more (see the plan output)\n",
		"\n<details><summary>Show plan output (",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("the first part lacks %q", want)
		}
	}
	if n := strings.Count(first, "\n> - `"); n != 50 {
		t.Errorf("the warning names %d resources, want 50", n)
	}
	if last := parts[len(parts)-1]; !strings.HasSuffix(last, "\n\nApplies automatically when this pull request is merged. · To plan again: `/plan -p huge`\n") {
		t.Errorf("the last part does not end with what happens next:\n%s", last[max(0, len(last)-300):])
	}

	checkGolden(t, "huge.split", splitOutline(parts))
}

// splitOutline describes how a comment was split, small enough to review: every part's size
// and the range of output lines it holds, the first part up to its first output line, the
// start of the second part and the end of the last.
func splitOutline(parts []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d parts\n", len(parts))
	next := 1
	for i, p := range parts {
		fenced, _ := fencedOutput(p)
		fmt.Fprintf(&b, "part %d: %s bytes, %s lines, output lines %s to %s\n",
			i+1, thousands(len(p)), thousands(strings.Count(p, "\n")+1), thousands(next), thousands(next+len(fenced)-1))
		next += len(fenced)
	}
	ls := strings.Split(parts[0], "\n")
	_, start := fencedOutput(parts[0])
	fmt.Fprintf(&b, "\n=== part 1, up to its first output line\n%s\n", strings.Join(ls[:start+1], "\n"))
	ls = strings.Split(parts[1], "\n")
	fmt.Fprintf(&b, "\n=== part 2, first 7 lines\n%s\n", strings.Join(ls[:7], "\n"))
	ls = strings.Split(parts[len(parts)-1], "\n")
	fmt.Fprintf(&b, "\n=== part %d, last 8 lines\n%s\n", len(parts), strings.Join(ls[len(ls)-8:], "\n"))
	return b.String()
}
