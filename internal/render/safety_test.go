package render

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/plan"
)

// oneChange is a plan with a single created resource.
func oneChange() *plan.Summary {
	return &plan.Summary{Add: 1, Changes: []plan.Change{{Address: "aws_s3_bucket.files", Type: "aws_s3_bucket", Action: plan.Create}}}
}

func renderMarkdown(t *testing.T, c PlanComment) string {
	t.Helper()
	if c.Project == "" {
		c.Project = "production"
	}
	if c.Summary == nil && c.Error == "" {
		c.Summary = oneChange()
	}
	md, err := PlanMarkdown(c)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

var (
	fenceOpen = regexp.MustCompile("^ {0,3}(`{3,})[^`]*$")
)

// outsideFences returns the lines of md that are not inside a fenced code block, following
// CommonMark: a fence closes only on a line of at least as many backticks as opened it.
func outsideFences(md string) []string {
	var out []string
	closing := ""
	for _, l := range strings.Split(md, "\n") {
		if closing != "" {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, closing) && strings.Trim(t, "`") == "" {
				closing = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(l); m != nil {
			closing = m[1]
			continue
		}
		out = append(out, l)
	}
	return out
}

func TestOutputWithBacktickRunsStaysInsideItsFence(t *testing.T) {
	t.Parallel()
	output := "  + name = \"```\"\n```\n````````\nstill output"
	md := renderMarkdown(t, PlanComment{Output: output})
	// The longest run in the output is 8 backticks, so the fence needs 9.
	if !strings.Contains(md, "\n`````````diff\n") {
		t.Fatalf("no 9-backtick diff fence in:\n%s", md)
	}
	for _, l := range outsideFences(md) {
		if strings.Contains(l, "still output") || strings.Contains(l, "name =") {
			t.Errorf("output line %q escaped the fence:\n%s", l, md)
		}
	}
}

func TestOutputCannotCloseTheDetailsOrAddHTML(t *testing.T) {
	t.Parallel()
	output := "</details>\n\n<details><summary>click</summary>\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>"
	md := renderMarkdown(t, PlanComment{Output: output})
	outside := strings.Join(outsideFences(md), "\n")
	if n := strings.Count(outside, "</details>"); n != 1 {
		t.Errorf("%d </details> outside code blocks, want only gantry's own:\n%s", n, md)
	}
	if n := strings.Count(outside, "<details>"); n != 1 {
		t.Errorf("%d <details> outside code blocks, want only gantry's own:\n%s", n, md)
	}
	for _, tag := range []string{"<script", "<img"} {
		if strings.Contains(outside, tag) {
			t.Errorf("%s outside code blocks:\n%s", tag, md)
		}
	}
}

func TestOutputCannotForgeAMarker(t *testing.T) {
	t.Parallel()
	output := "  + tags = {\n      + \"Note\" = \"<!-- gantry:project=other -->\"\n    }\n<!-- gantry:project=production part=2 -->"
	md := renderMarkdown(t, PlanComment{Project: "production", Output: output})
	if !strings.HasPrefix(md, "<!-- gantry:project=production -->\n") {
		t.Errorf("the comment does not start with its own marker:\n%s", md)
	}
	// Searches for markers look for "<!-- gantry:" anywhere in a comment.
	if n := strings.Count(md, "<!-- gantry:"); n != 1 {
		t.Errorf("%d marker-like comments, want only gantry's own:\n%s", n, md)
	}
	// The reader still sees the text as Terraform printed it.
	if !strings.Contains(strings.ReplaceAll(md, "\u200b", ""), `"Note" = "<!-- gantry:project=other -->"`) {
		t.Errorf("the tag's value is no longer readable:\n%s", md)
	}
}

func TestNamesWithBackticksAndPipesStayCode(t *testing.T) {
	t.Parallel()
	md := renderMarkdown(t, PlanComment{
		Project:   "a`b|c",
		Dir:       "infra|x`",
		Workspace: "<!-- gantry:project=other -->",
		Commit:    "abc1234def",
	})
	ls := strings.Split(md, "\n")
	// One backtick inside needs a two-backtick span; a span ending in a backtick gets a space
	// on each side, which Markdown removes again.
	if want := "### 🏗️ ``a`b|c`` — plan for `abc1234`"; ls[1] != want {
		t.Errorf("heading = %q, want %q", ls[1], want)
	}
	if want := "`` infra|x` `` · workspace `<!\u200b-- gantry:project=other -->`"; ls[2] != want {
		t.Errorf("facts = %q, want %q", ls[2], want)
	}
	if want := "<!-- gantry:project=a_b_c -->"; ls[0] != want {
		t.Errorf("marker = %q, want %q", ls[0], want)
	}
	if !strings.HasSuffix(md, "To plan again: ``/plan -p a`b|c``\n") {
		t.Errorf("re-plan hint does not quote the name as code:\n%s", md)
	}
}

func TestColourCodesAreRemoved(t *testing.T) {
	t.Parallel()
	output := "\x1b[1m  # aws_s3_bucket.files\x1b[0m will be created\n\x1b[0m  \x1b[32m+\x1b[0m\x1b[0m resource \"aws_s3_bucket\" \"files\" {\n\x1b]8;;https://example.com\x07link\x1b]8;;\x07"
	md := renderMarkdown(t, PlanComment{Output: output, Error: ""})
	if strings.ContainsRune(md, '\x1b') {
		t.Errorf("escape characters left in:\n%q", md)
	}
	for _, want := range []string{"\n  # aws_s3_bucket.files will be created\n", "\n+   resource \"aws_s3_bucket\" \"files\" {\n", "\nlink\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in:\n%s", want, md)
		}
	}
}

func TestColourCodesAreRemovedFromErrors(t *testing.T) {
	t.Parallel()
	md := renderMarkdown(t, PlanComment{Error: "\x1b[31m╷\x1b[0m\x1b[0m\n\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mNo valid credential sources found\x1b[0m"})
	if strings.ContainsRune(md, '\x1b') {
		t.Errorf("escape characters left in:\n%q", md)
	}
	if !strings.Contains(md, "\n│ Error: No valid credential sources found\n") {
		t.Errorf("error text lost:\n%s", md)
	}
}

func TestCountsHaveThousandsSeparators(t *testing.T) {
	t.Parallel()
	s := &plan.Summary{Add: 1234, Change: 5678, Destroy: 1500}
	for i := 0; i < 1500; i++ {
		s.Changes = append(s.Changes, plan.Change{Address: "aws_eip.ip[" + strconv.Itoa(i) + "]", Action: plan.Delete})
	}
	output := strings.Repeat("  - resource\n", 12345)
	md := renderMarkdown(t, PlanComment{Summary: s, Output: output})
	for _, want := range []string{
		"**Plan: 1,234 to add, 5,678 to change, 1,500 to destroy.**",
		"> **1,500 resources will be destroyed:**",
		"<summary>Show plan output (12,345 lines)</summary>",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q", want)
		}
	}
	// The first 50 destroyed resources are named, and the 1,450 others counted.
	if n := strings.Count(md, "\n> - `aws_eip.ip["); n != 50 {
		t.Errorf("%d destroyed resources listed, want 50", n)
	}
	if !strings.Contains(md, "\n> - `aws_eip.ip[49]`\n> - … and 1,450 more (see the plan output)\n") {
		t.Errorf("the warning does not end with the 50th resource and a count of the others")
	}
}

func TestCostSectionAppearsOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	without := renderMarkdown(t, PlanComment{Output: "Plan: 1 to add, 0 to change, 0 to destroy."})
	with := renderMarkdown(t, PlanComment{Output: "Plan: 1 to add, 0 to change, 0 to destroy.", Cost: stubCost{}})
	if strings.Contains(strings.ToLower(without), "cost") {
		t.Errorf("a comment without an estimate mentions cost:\n%s", without)
	}
	cost := strings.Index(with, "#### 💰 Monthly cost")
	details := strings.Index(with, "<details>")
	if cost < 0 || details < 0 || cost > details {
		t.Errorf("the cost section is not shown before the plan output:\n%s", with)
	}
}
