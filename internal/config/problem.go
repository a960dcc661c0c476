package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// DefaultFileName is the repository configuration file gantry reads from a default branch.
const DefaultFileName = ".gantry.yaml"

// Problem is one thing wrong with a .gantry.yaml, located so an editor can jump to it.
// Line and Column are 1-based; 0 means the position is unknown.
type Problem struct {
	Line   int
	Column int
	Path   string // e.g. projects[0].apply.on; empty for the document itself
	Msg    string
}

// String renders the problem without a file name: "7:5: projects[0].dir: required".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem found in one .gantry.yaml. Parse reports them all at once so a
// user fixes a file in one round instead of one error per push.
type Error struct {
	File     string // as given to ParseFile; DefaultFileName for Parse
	Problems []Problem
}

// Error renders one problem per line, each prefixed with the file name, in the
// file:line:column form editors and CI annotations understand.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ":" + p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects problems while a file is decoded and validated.
type problems struct {
	list []Problem
	pos  *positions
}

func (ps *problems) add(pos position, path, format string, args ...any) {
	ps.list = append(ps.list, Problem{Line: pos.line, Column: pos.col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// at reports a problem with the value at path, located where the file wrote it. Paths that
// already failed to decode are skipped: their zero values would only add noise.
func (ps *problems) at(path, format string, args ...any) {
	if !ps.pos.isBad(path) {
		ps.add(ps.pos.value(path), path, format, args...)
	}
}

// key is like at but locates the problem at path's key.
func (ps *problems) key(path, format string, args ...any) {
	if !ps.pos.isBad(path) {
		ps.add(ps.pos.key(path), path, format, args...)
	}
}

// fail reports that the value at path could not be decoded and marks path bad.
func (ps *problems) fail(pos position, path, format string, args ...any) {
	ps.add(pos, path, format, args...)
	ps.pos.bad[path] = true
}

// sorted orders problems as they appear in the file; problems without a position come first.
func (ps *problems) sorted() []Problem {
	out := slices.Clone(ps.list)
	slices.SortStableFunc(out, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return out
}

// suggest returns the candidate closest to word, if it is close enough to be a likely typo.
func suggest(word string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// A third of the word's length catches transpositions and dropped letters
	// without suggesting unrelated keys for short words.
	limit := max(1, len(word)/3)
	if bestDist < 0 || bestDist > limit {
		return "", false
	}
	return best, true
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteList renders allowed values for a message: "merge" or "comment".
func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
