package command

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// spec describes a command for its usage line, /help and -h.
type spec struct {
	name    Name
	usage   string
	summary string
	flags   []flagDoc
}

type flagDoc struct{ form, meaning string }

// specs are the commands in the order /help lists them.
var specs = []spec{
	{NamePlan, "/plan [-p PROJECT]... [-- TERRAFORM_ARGS]",
		"plan the projects this pull request changes", []flagDoc{
			{"`-p PROJECT`, `--project PROJECT`", "plan this project instead, changed or not (repeatable)"},
			{"`-- TERRAFORM_ARGS`", "pass flags to `terraform plan`: " + allowedTerraformFlags()},
		}},
	{NameApply, "/apply [-p PROJECT]... [--confirm-drift] [--confirm-cost]",
		"apply this pull request's saved plans, or confirm an apply held after merge", []flagDoc{
			{"`-p PROJECT`, `--project PROJECT`", "apply only this project (repeatable)"},
			{"`--confirm-drift`", "apply although the plan at the merge commit differs from the one shown here"},
			{"`--confirm-cost`", "apply although the monthly cost rises more than the project allows"},
		}},
	{NameRollback, "/rollback [SERVICE] [--to DEPLOYMENT_ID|SHA]",
		"deploy the service's previous successful deployment again", []flagDoc{
			{"`SERVICE`", "the service to roll back; may be left out when only one is configured"},
			{"`--to DEPLOYMENT_ID|SHA`", "roll back to this deployment, or to the deployment of this commit"},
		}},
	{NameUnlock, "/unlock [-p PROJECT]...",
		"release this pull request's locks and discard its plans", []flagDoc{
			{"`-p PROJECT`, `--project PROJECT`", "only this project (repeatable)"},
		}},
	{NameHelp, "/help", "list the commands", nil},
}

func specOf(n Name) (spec, bool) {
	for _, s := range specs {
		if s.name == n {
			return s, true
		}
	}
	return spec{}, false
}

// Usage returns the usage line of a command, such as "/unlock [-p PROJECT]...", or "" for a name that is
// not a command.
func Usage(n Name) string {
	s, _ := specOf(n)
	return s.usage
}

// Help returns the Markdown reply to /help: every command with its flags, one line each.
func Help() string {
	var b strings.Builder
	b.WriteString("**gantry commands** — write one on the first line of a pull-request comment:\n\n")
	for _, s := range specs {
		b.WriteString("- `" + s.usage + "`: " + s.summary + ".\n")
		for _, f := range s.flags {
			b.WriteString("  - " + f.form + ": " + f.meaning + ".\n")
		}
	}
	b.WriteString("\n`/plan` and `/help` need read access to the repository, the others write access. " +
		"Add `-h` to a command to see its usage.")
	return b.String()
}

// UsageError is the reply to a command that is unknown, malformed, or asked for its usage with -h.
// Its Error text is Markdown, ready to post.
type UsageError struct {
	// Name is the command as typed, lowercased. For an unknown command it is not one of the Name constants.
	Name Name
	// Reason says what is wrong, in Markdown, with the user's words sanitised by the parser. It is empty
	// when the command is unknown or the user asked for the usage.
	Reason string
}

// UnknownCommand reports whether the reply is about a command gantry does not have. A caller may choose to
// stay silent then, for instance when the repository has other bots that take slash commands.
func (e *UsageError) UnknownCommand() bool {
	_, known := specOf(e.Name)
	return !known
}

// Error returns the reply to post.
func (e *UsageError) Error() string {
	s, known := specOf(e.Name)
	if !known {
		var b strings.Builder
		b.WriteString(code("/"+string(e.Name)) + " is not a gantry command. The commands are:\n")
		for _, s := range specs {
			b.WriteString("- `" + s.usage + "`\n")
		}
		b.WriteString("Comment `/help` to see what each one does.")
		return b.String()
	}
	if e.Reason == "" {
		var b strings.Builder
		b.WriteString("`/" + string(s.name) + "`: " + s.summary + ".\nUsage: `" + s.usage + "`")
		for _, f := range s.flags {
			b.WriteString("\n- " + f.form + ": " + f.meaning + ".")
		}
		return b.String()
	}
	return "`/" + string(s.name) + "`: " + e.Reason + "\nUsage: `" + s.usage + "`"
}

// maxQuoted is how many characters of a user's token a reply repeats.
const maxQuoted = 40

// code returns a token from a comment as a Markdown code span that it cannot break out of: backticks are
// dropped, so the span cannot end early and let "@someone" outside it ping people; angle brackets are
// dropped, so a reply never carries an HTML comment such as the marker gantry finds its own comments by;
// invisible characters are dropped; and a long token is cut short.
func code(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '`' || r == '<' || r == '>' || r == utf8.RuneError ||
			unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxQuoted {
		s = string([]rune(s)[:maxQuoted]) + "…"
	}
	if s == "" {
		s = `""`
	}
	return "`" + s + "`"
}
