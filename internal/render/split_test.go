package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected pieces below were worked out by hand, line by line, from the budgets given.
func TestSplitMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		text        string
		first, rest int
		want        []string
	}{
		{
			name: "text within the first budget stays whole",
			text: "a\n```\nb\n```", first: 100, rest: 10,
			want: []string{"a\n```\nb\n```"},
		},
		{
			// "a\n~~~ hcl\nx1" is 12 bytes; x2 would need 12+3 plus 4 to close the fence, over 16.
			name: "a tilde fence is closed and reopened with its info string",
			text: "a\n~~~ hcl\nx1\nx2\n~~~\nb", first: 16, rest: 16,
			want: []string{"a\n~~~ hcl\nx1\n~~~", "~~~ hcl\nx2\n~~~\nb"},
		},
		{
			// Inside a ```` fence a ``` line is content, and only ```` closes it.
			name: "a longer fence is closed with as many backticks as it opened with",
			text: "````diff\n```\n+ a\n+ b\n````", first: 20, rest: 20,
			want: []string{"````diff\n```\n````", "````diff\n+ a\n````", "````diff\n+ b\n````"},
		},
		{
			// The <details> line is 29 bytes; closing it costs "\n\n</details>", 12; the second content line
			// would bring the first piece to 29+1+15+1+15+12 = 73, over 60.
			name: "an open details block is closed and reopened with a blank line after it",
			text: "<details><summary>s</summary>\n\nline number one\nline number two\n</details>", first: 60, rest: 60,
			want: []string{
				"<details><summary>s</summary>\n\nline number one\n\n</details>",
				"<details><summary>s</summary>\n\nline number two\n</details>",
			},
		},
		{
			// Lines are cut at rest/2 = 4 bytes, backing off to the start of a character.
			name: "a line too long for any piece is cut between characters",
			text: "aéééé", first: 8, rest: 8,
			want: []string{"aé\néé", "é"},
		},
		{
			// Six continuation bytes have no character start to back off to, so they are cut every 4 bytes.
			name: "a long line of invalid UTF-8 is still cut",
			text: "\x80\x80\x80\x80\x80\x80", first: 5, rest: 8,
			want: []string{"\x80\x80\x80\x80", "\x80\x80"},
		},
		{
			// "- `<details>`" is a code span, so nothing is open after it: the cut closes nothing.
			name: "a details tag inside a code span opens nothing",
			text: "- `<details>`\n- b\n- c", first: 18, rest: 30,
			want: []string{"- `<details>`\n- b", "- c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := splitMarkdown(tt.text, tt.first, tt.rest)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splitMarkdown(%q, %d, %d) differs (-want +got):\n%s", tt.text, tt.first, tt.rest, diff)
			}
		})
	}
}

func TestSplitHeadsEveryPartAfterTheFirst(t *testing.T) {
	t.Parallel()
	// 30 lines of 9 bytes ("line 00NN") joined by newlines: 299 bytes.
	var ls []string
	for i := 1; i <= 30; i++ {
		ls = append(ls, fmt.Sprintf("line %04d", i))
	}
	heading := func(n, of int) string { return fmt.Sprintf("**part %d of %d**", n, of) }
	got := Split(strings.Join(ls, "\n"), 100, heading)

	// The first part holds 10 lines (10*9 + 9 newlines = 99 bytes). The others give 17 bytes to
	// "**part 2 of 4**" and its blank line, leaving 83 bytes: 8 lines (8*9 + 7 = 79) each.
	// 10 + 8 + 8 + 4 = 30 lines in 4 parts.
	want := []string{
		strings.Join(ls[:10], "\n"),
		"**part 2 of 4**\n\n" + strings.Join(ls[10:18], "\n"),
		"**part 3 of 4**\n\n" + strings.Join(ls[18:26], "\n"),
		"**part 4 of 4**\n\n" + strings.Join(ls[26:], "\n"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parts differ (-want +got):\n%s", diff)
	}
}

func TestSplitMakesRoomForHeadingsThatGrowWithThePartCount(t *testing.T) {
	t.Parallel()
	// A heading that grows by a byte per part: the room measured for the first try is too small.
	heading := func(n, of int) string { return strings.Repeat("#", of) }
	body := strings.Repeat("0123456789\n", 200)
	parts := Split(body, 100, heading)
	for i, p := range parts {
		if len(p) > 100 {
			t.Errorf("part %d of %d is %d bytes, over the limit of 100", i+1, len(parts), len(p))
		}
	}
	var rejoined []string
	for i, p := range parts {
		if i > 0 {
			p = strings.TrimPrefix(p, strings.Repeat("#", len(parts))+"\n\n")
		}
		rejoined = append(rejoined, p)
	}
	if got := strings.Join(rejoined, "\n"); got != body {
		t.Errorf("the parts without their headings do not add up to the body")
	}
}

func TestSplitWithoutHeadingsOnlyCuts(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("abcdefghi\n", 20) // 200 bytes, 21 lines (the last empty)
	parts := Split(body, 100, nil)
	if got := strings.Join(parts, "\n"); got != body {
		t.Errorf("parts joined by newlines differ from the body:\n%q", got)
	}
}

func TestSplitRefusesALimitWithNoRoomForText(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Errorf("Split with a 100-byte limit and a 90-byte heading did not panic")
		}
	}()
	Split(strings.Repeat("x\n", 100), 100, func(int, int) string { return strings.Repeat("h", 90) })
}
