package render

import (
	"regexp"
	"strconv"
	"strings"
)

// Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks) and the
// two-character ones. Terraform colours its output unless run with -no-color.
var escapeSeq = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]`)

// clean removes escape sequences and control characters other than tab and newline, and
// normalises line endings.
func clean(s string) string {
	s = escapeSeq.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// breakComments makes "<!--" in text from outside gantry (Terraform output, names) unable
// to open an HTML comment or to be found by a search for gantry's markers, by putting a
// zero-width space inside it. In a code block it looks the same.
func breakComments(s string) string {
	return strings.ReplaceAll(s, "<!--", "<!\u200b--")
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// code writes s as an inline code span that shows s literally, whatever backticks, pipes,
// HTML or Markdown it contains. A code span cannot hold a line break, so newlines become spaces.
func code(s string) string {
	s = breakComments(clean(s))
	s = strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
	if s == "" {
		return "` `"
	}
	delim := strings.Repeat("`", longestRun(s, '`')+1)
	// CommonMark strips one space at each end, which lets a span start or end with a backtick.
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		s = " " + s + " "
	}
	return delim + s + delim
}

// fence is a fenced code block whose fences are longer than any backtick run in its body,
// so nothing in the body can close it.
type fence struct {
	Open, Body, Close string
}

func newFence(info, body string) fence {
	ticks := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return fence{Open: ticks + info, Body: body, Close: ticks}
}

// lines splits text into lines without the blank lines at its start and end.
func lines(s string) []string {
	s = strings.Trim(s, "\n")
	if strings.TrimSpace(s) == "" {
		return nil
	}
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " \t")
	}
	return ls
}

// diffMarkers moves each change marker to column 0 and keeps the indentation after it, so
// that text stays in its column and GitHub's diff highlighting colours the line.
func diffMarkers(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = moveMarker(l)
	}
	return out
}

// moveMarker moves the change marker of one line of Terraform output: "+", "-", "~", "-/+"
// or "+/-" after the indentation, followed by a space or the end of the line. Other lines,
// and lines whose marker is already in column 0, are left alone. (A hand-written match: a
// regular expression made this half the cost of rendering a large plan.)
func moveMarker(l string) string {
	rest := strings.TrimLeft(l, " ")
	indent := l[:len(l)-len(rest)]
	if indent == "" || rest == "" {
		return l
	}
	var marker string
	switch {
	case strings.HasPrefix(rest, "-/+"), strings.HasPrefix(rest, "+/-"):
		marker = rest[:3]
	case rest[0] == '+', rest[0] == '-', rest[0] == '~':
		marker = rest[:1]
	default:
		return l
	}
	after := rest[len(marker):]
	switch {
	case after == "":
		return marker + indent
	case after[0] == ' ':
		return marker + " " + indent + after[1:]
	default:
		return l
	}
}

// thousands writes n with comma thousands separators: 12,345.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// plural is "1 resource", "2 resources", with thousands separators.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// CodeBlock shows text from outside gantry (an error, a configuration problem) verbatim in a
// fenced block that nothing in it can close, with terminal codes removed and HTML comments
// broken so no marker can be forged. It ends with a newline.
func CodeBlock(text string) string {
	f := newFence("", breakComments(clean(strings.Trim(text, "\n"))))
	return f.Open + "\n" + f.Body + "\n" + f.Close + "\n"
}
