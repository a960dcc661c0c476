package render

import (
	"strconv"
	"strings"
)

// ConfigCheckRun is the check run `gantry/config` on a directly pushed commit when the
// repository's configuration (file, on the default branch) cannot be used: a direct push has no
// pull request to comment on, and the check run is where its author looks. problems is the
// validation error, one problem a line, each with its line and column.
func ConfigCheckRun(file, problems string) CheckRunOutput {
	n := len(lines(clean(problems)))
	title := file + " has " + strconv.Itoa(n) + " problems; nothing was applied or deployed"
	if n == 1 {
		title = file + " has a problem; nothing was applied or deployed"
	}
	var b strings.Builder
	b.WriteString("gantry cannot use " + code(file) + " on the default branch, so this push was neither applied nor deployed:\n\n")
	b.WriteString(CodeBlock(problems))
	b.WriteString("\nFix it (" + code("gantry config validate "+file) + " shows the same list) and push again.\n")
	return CheckRunOutput{Conclusion: ConclusionFailure, Title: title, Summary: b.String()}
}
