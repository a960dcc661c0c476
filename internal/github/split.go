package github

import (
	"strings"
	"unicode/utf8"
)

// splitMarkdown cuts text at line boundaries into pieces of at most first bytes (the first piece) and rest
// bytes (the others), so that each piece renders on its own: a piece that ends inside a code fence or an
// open <details> closes them, and the next piece reopens them with the same opening lines. Byte lengths
// bound GitHub's character count from above whatever the text's script.
//
// A single line too long for any piece is cut at a character boundary; every other line survives intact
// and in order.
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
		cur = st.reopen()
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

// cutLongLines splits lines longer than max bytes at UTF-8 character boundaries.
func cutLongLines(lines []string, max int) []string {
	out := lines[:0:0]
	for _, l := range lines {
		for len(l) > max {
			cut := max
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
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
	lower := strings.ToLower(line)
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
	for _, l := range s.closing() {
		n += 1 + len(l)
	}
	return n
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
