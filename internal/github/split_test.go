package github

import (
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
