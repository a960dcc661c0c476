package render

import (
	"encoding/json"
	"github.com/classla/gantry/internal/plan"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDiffMarkersMoveToColumnZero(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"an added attribute keeps its text in place", "      + name = \"api\"", "+       name = \"api\""},
		{"a removed block keeps its text in place", "      - stickiness {", "-       stickiness {"},
		{"an updated resource keeps its text in place", "  ~ resource \"aws_route\" \"private_nat\" {", "~   resource \"aws_route\" \"private_nat\" {"},
		{"a replacement already in column 0 is left alone", "-/+ resource \"aws_ecs_task_definition\" \"app\" {", "-/+ resource \"aws_ecs_task_definition\" \"app\" {"},
		{"an indented create-before-destroy marker moves", "  +/- resource \"aws_security_group\" \"web\" {", "+/-   resource \"aws_security_group\" \"web\" {"},
		{"a comment line is left alone", "  # module.network.aws_eip.nat[1] will be destroyed", "  # module.network.aws_eip.nat[1] will be destroyed"},
		{"a data source read is left alone", " <= data \"aws_region\" \"web\" {", " <= data \"aws_region\" \"web\" {"},
		{"a minus inside a value is left alone", "        name = \"-x\"", "        name = \"-x\""},
		{"a marker glued to text is left alone", "  -/dev/null", "  -/dev/null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := diffMarkers([]string{tt.in})[0]
			if got != tt.want {
				t.Errorf("diffMarkers(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCodeSpans(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain text gets single backticks", "production", "`production`"},
		{"one backtick inside needs two around", "a`b", "``a`b``"},
		{"a run of three inside needs four around", "a```b", "````a```b````"},
		{"a leading backtick is padded with spaces", "`x", "`` `x ``"},
		{"newlines become spaces", "a\nb", "`a b`"},
		{"empty text is still a visible span", "", "` `"},
		{"an HTML comment opener is broken", "<!--x", "`<!\u200b--x`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := code(tt.in); got != tt.want {
				t.Errorf("code(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{300 * time.Millisecond, "under a second"},
		{4200 * time.Millisecond, "4.2 s"},
		{6 * time.Second, "6 s"},
		{14 * time.Second, "14 s"},
		{125 * time.Second, "2 min 5 s"},
		{3 * time.Minute, "3 min"},
		{75 * time.Minute, "1 h 15 min"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.in); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestALongErrorShowsItsLastLines(t *testing.T) {
	t.Parallel()
	var stderr []string
	for i := 1; i <= 45; i++ {
		stderr = append(stderr, "line "+thousands(i))
	}
	md := renderMarkdown(t, PlanComment{Error: strings.Join(stderr, "\n") + "\n"})
	// 45 lines, 30 shown: lines 16 to 45.
	if strings.Contains(md, "line 15\n") || !strings.Contains(md, "\nline 16\n") || !strings.Contains(md, "\nline 45\n") {
		t.Errorf("not the last 30 lines:\n%s", md)
	}
	if !strings.Contains(md, "<sub>last 30 of 45 lines</sub>") {
		t.Errorf("no note that lines were left out:\n%s", md)
	}
}

func TestAFailedPlanSaysSoUnderTheHeading(t *testing.T) {
	t.Parallel()
	md := renderMarkdown(t, PlanComment{Project: "production", Commit: "abcdef0123", Error: "Error: No valid credential sources found"})
	want := "<!-- gantry:project=production -->\n" +
		"### ❌ `production` — plan failed for `abcdef0`\n" +
		"\n```\nError: No valid credential sources found\n```\n\n" +
		"**The plan failed, so there is nothing to apply.** Fix the error and push, or comment `/plan -p production` to try again.\n"
	if md != want {
		t.Errorf("got:\n%s\nwant:\n%s", md, want)
	}
}

func TestWhatHappensNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    PlanComment
		want string
	}{
		{"a merge-applied project applies on merge", PlanComment{Apply: ApplyOnMerge}, "Applies automatically when this pull request is merged. · To plan again: `/plan -p production`"},
		{"an unset apply mode means merge, the default", PlanComment{}, "Applies automatically when this pull request is merged. · To plan again: `/plan -p production`"},
		{"a comment-applied project shows the command", PlanComment{Apply: ApplyOnComment}, "To apply: `/apply -p production` · To plan again: `/plan -p production`"},
		{"a plan without changes has nothing to apply", PlanComment{Apply: ApplyOnComment, Summary: &plan.Summary{}}, "Nothing to apply. · To plan again: `/plan -p production`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md := strings.TrimSuffix(renderMarkdown(t, tt.c), "\n")
			if last := md[strings.LastIndex(md, "\n")+1:]; last != tt.want {
				t.Errorf("last line = %q, want %q", last, tt.want)
			}
		})
	}
}

func TestPlanJSONKeepsItsFieldNames(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]PlanComment{
		"succeeded": {Project: "p", Summary: oneChange()},
		"failed":    {Project: "p", Error: "Error: boom"},
	} {
		b, err := PlanJSON(c)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"project", "dir", "workspace", "commit", "terraform_version", "failed", "summary",
			"has_changes", "add", "change", "destroy", "import", "changes", "destroyed", "output_changes"} {
			if _, ok := got[key]; !ok {
				t.Errorf("%s plan: no %q field in %s", name, key, b)
			}
		}
		for _, key := range []string{"changes", "destroyed", "output_changes"} {
			if _, ok := got[key].([]any); !ok {
				t.Errorf("%s plan: %q is %v, want a list", name, key, got[key])
			}
		}
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	got := []string{Marker("production"), Marker("web.api-2_x"), Marker("a -->b")}
	want := []string{"<!-- gantry:project=production -->", "<!-- gantry:project=web.api-2_x -->", "<!-- gantry:project=a_--_b -->"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
}

func TestCodeBlockCannotBeClosedFromInside(t *testing.T) {
	t.Parallel()
	// A body with a run of three backticks needs a fence of four; the marker is broken with a
	// zero-width space; the colour code is gone.
	got := CodeBlock("Error: bad\n```\n<!-- gantry:project=x -->\x1b[31m red\n")
	want := "````\nError: bad\n```\n<!\u200b-- gantry:project=x --> red\n````\n"
	if got != want {
		t.Errorf("CodeBlock = %q, want %q", got, want)
	}
}
