package render

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Split cuts a Markdown comment into parts of at most limit bytes, for a host that refuses longer
// bodies (GitHub: 65,536 characters per comment; a byte count bounds the character count from above
// whatever the script). Parts are cut between lines, and each renders on its own: a part that ends
// inside a code fence or an open <details> closes them, and the next part reopens them with the same
// opening lines, so the output of a long plan reads on across the parts.
//
// Every part after the first starts with heading(n, of) (n counts from 1, the first part being 1)
// and a blank line; heading may be nil. The room the headings need is measured, not guessed, so a
// heading of any length that leaves room for text is fine.
//
// A single line too long for any part is cut between characters; every other line survives intact
// and in order. Split panics if limit leaves no room for text after a heading: that is a bug in the
// caller, not bad input.
func Split(body string, limit int, heading func(n, of int) string) []string {
	if heading == nil {
		heading = func(int, int) string { return "" }
	}
	room := 0
	for {
		if limit-room < minPart {
			panic(fmt.Sprintf("render.Split: a limit of %d bytes leaves no room for text after %d bytes of heading", limit, room))
		}
		pieces := splitMarkdown(body, limit, limit-room)
		need := 0
		for n := 2; n <= len(pieces); n++ {
			if h := heading(n, len(pieces)); h != "" {
				need = max(need, len(h)+2)
			}
		}
		// More room means smaller parts, possibly more of them and longer headings: try again
		// until the headings fit the room they were given.
		if need <= room {
			for i := 1; i < len(pieces); i++ {
				if h := heading(i+1, len(pieces)); h != "" {
					pieces[i] = h + "\n\n" + pieces[i]
				}
			}
			return pieces
		}
		room = need
	}
}

// minPart is the smallest part Split agrees to make; below it, reopened blocks alone would not fit.
const minPart = 64

// splitMarkdown cuts text at line boundaries into pieces of at most first bytes (the first piece) and
// rest bytes (the others), closing and reopening fences and <details> around each cut.
func splitMarkdown(text string, first, rest int) []string {
	if len(text) <= first {
		return []string{text}
	}
	var (
		pieces []string
		st     mdState
		cur    []string
		size   int // bytes of cur joined with newlines
		body   bool
	)
	start := func() {
		// Pieces tend to hold as many lines as the one before.
		cur = append(make([]string, 0, len(cur)+8), st.reopen()...)
		size = joinedLen(cur)
		body = false
	}
	budget := func() int {
		if len(pieces) == 0 {
			return first
		}
		return rest
	}
	start()
	for _, line := range cutLongLines(strings.Split(text, "\n"), rest/2) {
		next := st.advance(line)
		need := size + len(line) + next.closingLen()
		if len(cur) > 0 {
			need++ // the newline before line
		}
		if body && need > budget() {
			cur = append(cur, st.closing()...)
			pieces = append(pieces, strings.Join(cur, "\n"))
			start()
		}
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, line)
		size += len(line)
		body = true
		st = next
	}
	return append(pieces, strings.Join(cur, "\n"))
}

func joinedLen(lines []string) int {
	n := 0
	for i, l := range lines {
		if i > 0 {
			n++
		}
		n += len(l)
	}
	return n
}

// cutLongLines splits lines longer than limit bytes, at UTF-8 character boundaries when the text
// is valid UTF-8 (invalid bytes have no boundary to respect).
func cutLongLines(lines []string, limit int) []string {
	limit = max(limit, utf8.UTFMax)
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		for len(l) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			if cut == 0 {
				cut = limit
			}
			out = append(out, l[:cut])
			l = l[cut:]
		}
		out = append(out, l)
	}
	return out
}

// mdState is the Markdown context open after some lines: the enclosing <details> lines, outermost first,
// and the opening line of an unclosed code fence.
type mdState struct {
	details []string
	fence   string // opening line; "" outside a fence
}

func (s mdState) advance(line string) mdState {
	if s.fence != "" {
		if closesFence(s.fence, line) {
			s.fence = ""
		}
		return s
	}
	if _, ok := fenceRun(line); ok {
		s.fence = line
		return s
	}
	// A tag inside a code span is text (a resource key such as ["<details>"]), not HTML.
	lower := strings.ToLower(withoutCodeSpans(line))
	for i := 0; i < len(lower); i++ {
		switch {
		case strings.HasPrefix(lower[i:], "</details>"):
			if len(s.details) > 0 {
				s.details = s.details[: len(s.details)-1 : len(s.details)-1]
			}
		case strings.HasPrefix(lower[i:], "<details") && i+8 < len(lower) && (lower[i+8] == '>' || lower[i+8] == ' '):
			s.details = append(s.details[:len(s.details):len(s.details)], line)
		}
	}
	return s
}

// withoutCodeSpans blanks out the inline code spans of a line: a run of backticks up to the next run
// of the same length. A run without a partner is literal backticks, as in CommonMark.
func withoutCodeSpans(line string) string {
	if !strings.Contains(line, "`") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := runAt(line, i)
		end := closingRun(line, i+n, n)
		if end < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		b.WriteString(strings.Repeat(" ", end+n-i))
		i = end + n
	}
	return b.String()
}

// runAt is the length of the run of backticks starting at line[i].
func runAt(line string, i int) int {
	n := 0
	for i+n < len(line) && line[i+n] == '`' {
		n++
	}
	return n
}

// closingRun finds, from line[from:], the start of the next run of exactly n backticks, or -1.
func closingRun(line string, from, n int) int {
	for j := from; j < len(line); {
		if line[j] != '`' {
			j++
			continue
		}
		m := runAt(line, j)
		if m == n {
			return j
		}
		j += m
	}
	return -1
}

// closing lists the lines that end the open fence and <details> blocks, innermost first.
func (s mdState) closing() []string {
	var out []string
	if s.fence != "" {
		run, _ := fenceRun(s.fence)
		out = append(out, run)
	}
	for range s.details {
		out = append(out, "", "</details>")
	}
	return out
}

// closingLen is the number of bytes closing adds after the last line.
func (s mdState) closingLen() int {
	n := 0
	if s.fence != "" {
		run, _ := fenceRun(s.fence)
		n += 1 + len(run)
	}
	return n + len(s.details)*len("\n\n</details>")
}

// reopen lists the lines that restore the open blocks at the top of the next piece. A blank line after
// each <details> line lets GitHub render the Markdown inside it.
func (s mdState) reopen() []string {
	var out []string
	for _, d := range s.details {
		out = append(out, d, "")
	}
	if s.fence != "" {
		out = append(out, s.fence)
	}
	return out
}

// fenceRun reports whether line opens a CommonMark code fence (up to three spaces, then three or more
// backticks or tildes) and returns the run of fence characters, which a closing fence must match.
func fenceRun(line string) (string, bool) {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 || len(trimmed) < 3 || (trimmed[0] != '`' && trimmed[0] != '~') {
		return "", false
	}
	c := trimmed[0]
	n := 0
	for n < len(trimmed) && trimmed[n] == c {
		n++
	}
	if n < 3 || (c == '`' && strings.Contains(trimmed[n:], "`")) {
		return "", false
	}
	return trimmed[:n], true
}

// closesFence reports whether line closes the fence opened by open: the same character, at least as many
// of them, and nothing else but spaces.
func closesFence(open, line string) bool {
	want, _ := fenceRun(open)
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 {
		return false
	}
	n := 0
	for n < len(trimmed) && trimmed[n] == want[0] {
		n++
	}
	return n >= len(want) && strings.TrimRight(trimmed[n:], " \t") == ""
}

// SplitAtMost is Split with at most maxParts parts. A longer body is cut at a line boundary, the
// fences and <details> open there are closed, and note(n) is appended, n being the bytes cut, so a
// reader knows that something is missing and how to see it. A pull request decides how much its
// plan prints; the comments it gets stay few.
func SplitAtMost(body string, limit, maxParts int, heading func(n, of int) string, note func(cut int) string) []string {
	parts := Split(body, limit, heading)
	if len(parts) <= maxParts {
		return parts
	}
	keep := len(body) / len(parts) * maxParts
	for {
		parts = Split(truncateMarkdown(body, keep, note), limit, heading)
		if len(parts) <= maxParts {
			return parts
		}
		keep = keep / 10 * 9
	}
}

// truncateMarkdown keeps the lines of body that end within its first keep bytes, closes the blocks
// they leave open and appends note.
func truncateMarkdown(body string, keep int, note func(cut int) string) string {
	if keep >= len(body) {
		return body
	}
	end := strings.LastIndexByte(body[:keep], '\n')
	if end < 0 {
		end = 0
	}
	kept := body[:end]
	var st mdState
	for _, line := range strings.Split(kept, "\n") {
		st = st.advance(line)
	}
	return strings.Join(append([]string{kept}, st.closing()...), "\n") + "\n\n" + note(len(body)-end)
}
