package terraform

import (
	"fmt"
	"strings"
)

// planText extracts the human-readable plan from what init, workspace and plan printed: the
// part from the plan's first line (the refresh progress before it is dropped) up to the
// separator Terraform prints before "Saved the plan to: PATH" and its advice to run
// `terraform apply PATH`, which names a file on the server and does not apply to a pull request.
func planText(log string) string {
	lines := strings.Split(log, "\n")
	start := -1
	for i, l := range lines {
		if isPlanStart(l) {
			start = i
			break
		}
	}
	if start < 0 {
		return strings.TrimSpace(log) + "\n"
	}
	end := len(lines)
	for i := start; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "Saved the plan to:") {
			end = i
			// The separator line (box-drawing dashes) and blank lines before it go too.
			for end > start && (strings.TrimSpace(lines[end-1]) == "" || strings.Trim(lines[end-1], "─") == "") {
				end--
			}
			break
		}
	}
	return strings.TrimRight(strings.Join(lines[start:end], "\n"), "\n") + "\n"
}

// isPlanStart reports whether a line opens the plan itself, as Terraform and OpenTofu word it.
func isPlanStart(l string) bool {
	for _, p := range []string{
		"Terraform used the selected providers",
		"OpenTofu used the selected providers",
		"No changes.",
		"Changes to Outputs:",
		"Terraform will perform the following actions:",
		"OpenTofu will perform the following actions:",
		"Note: Objects have changed outside of",
		"Terraform detected the following changes made outside of",
		"OpenTofu detected the following changes made outside of",
	} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// cappedBuffer keeps the first max bytes written to it and counts the rest: a step may print
// without end, and what is kept is stored and posted.
type cappedBuffer struct {
	buf []byte
	max int
	cut int64
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	keep := min(len(p), b.max-len(b.buf))
	b.buf = append(b.buf, p[:keep]...)
	b.cut += int64(len(p) - keep)
	return len(p), nil
}

// String is what was kept, and a last line saying how much was cut.
func (b *cappedBuffer) String() string {
	if b.cut == 0 {
		return string(b.buf)
	}
	return string(b.buf) + fmt.Sprintf("\n[gantry: %d more bytes of output were cut here: a step's output is kept up to %d bytes]\n", b.cut, b.max)
}
