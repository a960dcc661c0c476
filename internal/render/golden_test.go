package render

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/classla/gantry/internal/plan"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func summary(t *testing.T, path string) *plan.Summary {
	t.Helper()
	s, err := plan.Summarize([]byte(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stubCost stands in for the cost estimator's section.
type stubCost struct{}

func (stubCost) Markdown() string {
	return "#### 💰 Monthly cost: **$41.20 → $43.70 (+$2.50, +6%)**\n\n" +
		"| resource | before | after | change |\n|---|---:|---:|---:|\n" +
		"| `aws_cloudwatch_log_group.audit` | — | $2.50 | +$2.50 |"
}

func (stubCost) Text() string {
	return "Monthly cost: $41.20 → $43.70 (+$2.50, +6%)\n  aws_cloudwatch_log_group.audit  —  $2.50  +$2.50"
}

// The demo: the example stack's pull request, as `make demo` shows it.
func demoComment(t *testing.T) PlanComment {
	t.Helper()
	return PlanComment{
		Project:          "production",
		Dir:              "terraform",
		Workspace:        "default",
		Commit:           "9f3c2e1d4b5a69788c7d6e5f4a3b2c1d0e9f8a7b",
		TerraformVersion: "1.5.7",
		Duration:         72 * time.Second,
		Summary:          summary(t, filepath.Join("..", "..", "examples", "classla", "plan.json")),
		Output:           readFile(t, filepath.Join("..", "..", "examples", "classla", "plan.txt")),
		Apply:            ApplyOnMerge,
	}
}

func goldenComments(t *testing.T) map[string]PlanComment {
	t.Helper()
	normal := demoComment(t)

	noChanges := normal
	noChanges.Project, noChanges.Dir = "shop", "infra/shop"
	noChanges.Duration = 9400 * time.Millisecond
	noChanges.Summary = summary(t, "testdata/no_changes.json")
	noChanges.Output = readFile(t, "testdata/no_changes.txt")

	destroy := noChanges
	destroy.Duration = 23 * time.Second
	destroy.Summary = summary(t, "testdata/mixed_changes.json")
	destroy.Output = readFile(t, "testdata/mixed_changes.txt")
	destroy.Cost = stubCost{}

	failed := normal
	failed.Duration = 6 * time.Second
	failed.Summary = nil
	failed.Error = readFile(t, "testdata/failed.stderr")
	failed.Output = readFile(t, "testdata/failed.stdout")

	hostile := PlanComment{
		Project:          "we`ird|name",
		Dir:              "infra/``|pipes|``",
		Workspace:        "<!-- gantry:project=other -->",
		Commit:           "0123456789abcdef",
		TerraformVersion: "1.5.7",
		Duration:         3 * time.Second,
		Summary:          summary(t, "testdata/hostile.json"),
		Output:           readFile(t, "testdata/hostile.txt"),
		Apply:            ApplyOnMerge,
	}

	onComment := noChanges
	onComment.Apply = ApplyOnComment
	onComment.Summary = summary(t, "testdata/import.json")
	onComment.Output = readFile(t, "testdata/import.txt")

	// A reader's /plan with arguments of their own: whose plan it is shows, and that it never applies.
	reader := destroy
	reader.RequestedBy = "mallory"
	reader.Args = []string{"-destroy", "-var=admin_cidr=0.0.0.0/0", "-lock=false"}
	reader.Unapplicable = true

	return map[string]PlanComment{
		"reader":           reader,
		"normal":           normal,
		"no_changes":       noChanges,
		"destroy_replace":  destroy,
		"failed":           failed,
		"hostile":          hostile,
		"apply_on_comment": onComment,
	}
}

// checkGolden compares got with testdata/NAME.golden, or rewrites the file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(readFile(t, path), got); diff != "" {
		t.Errorf("%s differs from %s; run `go test ./internal/render -update` and read the change (-golden +got):\n%s", name, path, diff)
	}
}

func TestGoldenMarkdown(t *testing.T) {
	t.Parallel()
	for name, c := range goldenComments(t) {
		t.Run(name+" comment reads as reviewed", func(t *testing.T) {
			t.Parallel()
			got, err := PlanMarkdown(c)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".md", got)
		})
	}
}

func TestGoldenText(t *testing.T) {
	t.Parallel()
	comments := goldenComments(t)
	for _, name := range []string{"normal", "no_changes", "destroy_replace", "failed", "hostile"} {
		t.Run(name+" terminal output reads as reviewed", func(t *testing.T) {
			t.Parallel()
			got, err := PlanText(comments[name])
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".txt", got)
		})
	}
}

func TestGoldenJSON(t *testing.T) {
	t.Parallel()
	comments := goldenComments(t)
	for _, name := range []string{"normal", "failed"} {
		t.Run(name+" JSON reads as reviewed", func(t *testing.T) {
			t.Parallel()
			got, err := PlanJSON(comments[name])
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".json", string(got))
		})
	}
}
