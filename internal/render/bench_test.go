package render

import (
	"strings"
	"testing"
)

// benchComment is a plan comment whose output has about lines lines: a generated plan whose
// five kinds of resources print 34 lines together (7+6+7+7+7 with the blank line before each).
func benchComment(b *testing.B, lines int) PlanComment {
	b.Helper()
	c, out := hugeComment(b, lines*5/34/5*5)
	if got := len(out); got < lines*99/100 || got > lines*101/100 {
		b.Fatalf("generated %d output lines, want about %d", got, lines)
	}
	return c
}

func benchmarkPlanMarkdown(b *testing.B, lines int) {
	c := benchComment(b, lines)
	b.SetBytes(int64(len(c.Output)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanMarkdown(c); err != nil {
			b.Fatal(err)
		}
	}
}

// Rendering must stay linear in the output: compare ns/op and B/op of 10k and 100k.
func BenchmarkPlanMarkdown10k(b *testing.B)  { benchmarkPlanMarkdown(b, 10_000) }
func BenchmarkPlanMarkdown100k(b *testing.B) { benchmarkPlanMarkdown(b, 100_000) }

func BenchmarkSplit100k(b *testing.B) {
	md, err := PlanMarkdown(benchComment(b, 100_000))
	if err != nil {
		b.Fatal(err)
	}
	heading := continuation("huge")
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		if parts := Split(md, commentLimit, heading); !strings.HasPrefix(parts[0], "<!--") {
			b.Fatal("the first part lost its marker")
		}
	}
}
