package terraform

import (
	"fmt"
	"strings"
)

// RunError is a step that failed: it exited non-zero, could not start, or was stopped because the
// run was canceled or timed out (then errors.Is(err, context.Canceled) or
// errors.Is(err, context.DeadlineExceeded) holds).
type RunError struct {
	Step   string // version, init, workspace, plan, show or apply
	Stdout string
	Stderr string // Terraform's diagnostics: what a failed plan shows the user
	Err    error
}

// stderrTail is how many lines of stderr Error() carries; the full text is in Stderr.
const stderrTail = 20

func (e *RunError) Error() string {
	msg := fmt.Sprintf("terraform %s failed: %v", e.Step, e.Err)
	if tail := lastLines(e.Stderr, stderrTail); tail != "" {
		msg += "\n" + tail
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.Err }

// lastLines is the last n non-blank-trailing lines of s.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, " \t\r\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// VersionError is a binary whose version does not satisfy the project's terraform_version.
type VersionError struct {
	Binary   string  // the path that was run
	Found    Version // what it reported
	Required string  // the project's terraform_version
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s is %s, but the project pins terraform_version %q: set GANTRY_TERRAFORM_BIN to a binary whose version satisfies it, or change terraform_version in .gantry.yaml",
		e.Binary, e.Found, e.Required)
}

// OutputLimitError is a plan whose JSON is larger than the Runner keeps (Options.MaxOutput): gantry
// cannot read, price or store it, so the plan fails rather than show part of it.
type OutputLimitError struct {
	Max  int
	Size int64
}

func (e *OutputLimitError) Error() string {
	return fmt.Sprintf("the plan's JSON is %d bytes, more than the %d bytes gantry keeps of a step's output: "+
		"split the project into smaller roots, or plan it where you can read it whole (terraform plan, then terraform show -json)", e.Size, e.Max)
}
