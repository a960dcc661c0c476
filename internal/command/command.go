// Package command reads the slash commands people write in pull-request comments (/plan, /apply,
// /rollback, /unlock, /help) and writes the replies for the ones it cannot accept.
//
// The grammar, in short:
//   - only the first non-blank line of a comment counts; what follows is free text for humans;
//   - that line is a command when it starts with "/" and a word of letters and hyphens followed by white
//     space or the end of the line; anything else ("/usr/bin/x", "// note", "/ plan") is ordinary text;
//   - command names are case-insensitive, because phone keyboards capitalise the first letter ("/Plan");
//     flags are case-sensitive, as they are in Terraform;
//   - arguments are split on white space, single and double quotes group (`-var "tag=a b"`), and nothing
//     is ever expanded or handed to a shell;
//   - -h or --help on any command asks for that command's usage: Parse answers with a *UsageError that
//     carries no problem, only the usage, and the command is not run.
package command

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLineLength is the longest command line accepted, in characters.
const MaxLineLength = 1000

// Name is a command name, lowercase and without the leading slash.
type Name string

// The commands gantry understands.
const (
	NamePlan     Name = "plan"
	NameApply    Name = "apply"
	NameRollback Name = "rollback"
	NameUnlock   Name = "unlock"
	NameHelp     Name = "help"
)

// NeedsWrite reports whether running the command requires write permission on the repository.
// Names that are not commands need it too, so a caller that forgets to check the name fails closed.
func (n Name) NeedsWrite() bool {
	return n != NamePlan && n != NameHelp
}

// Command is a parsed comment command. It travels in job specs, so its JSON names are stable.
type Command struct {
	Name         Name     `json:"name"`
	Projects     []string `json:"projects,omitempty"`      // -p / --project, in the order given, without duplicates; nil for none
	Args         []string `json:"args,omitempty"`          // Terraform arguments after `--` (plan only), each normalised to -name or -name=value
	ConfirmDrift bool     `json:"confirm_drift,omitempty"` // apply --confirm-drift
	ConfirmCost  bool     `json:"confirm_cost,omitempty"`  // apply --confirm-cost
	Service      string   `json:"service,omitempty"`       // rollback [SERVICE]
	To           string   `json:"to,omitempty"`            // rollback --to: a deployment ID, or a commit SHA in lowercase
}

// Parse reads a pull-request comment body.
//
// ok is false when the comment is not a command at all; such comments are to be ignored silently.
// When it is a command but unknown or malformed, err is a *UsageError whose Error text is the reply to
// post. cmd is meaningful only when ok is true and err is nil.
func Parse(body string) (cmd Command, ok bool, err error) {
	line := firstLine(body)
	word, rest, isCommand := splitCommand(line)
	if !isCommand {
		return Command{}, false, nil
	}
	name := Name(strings.ToLower(word))
	if _, known := specOf(name); !known {
		return Command{}, true, &UsageError{Name: name}
	}
	if err := checkLine(name, line); err != nil {
		return Command{}, true, err
	}
	tokens, err := tokenize(name, rest)
	if err != nil {
		return Command{}, true, err
	}
	cmd, err = parseArgs(name, tokens)
	if err != nil {
		return Command{}, true, err
	}
	return cmd, true, nil
}

// firstLine returns the first line of body that is not blank, trimmed; "" when there is none.
func firstLine(body string) string {
	for line := range strings.Lines(body) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// splitCommand splits a trimmed line of the form "/word rest" into its word and the rest. It reports false
// when the line does not match ^/[A-Za-z][A-Za-z-]*(\s|$).
func splitCommand(line string) (word, rest string, ok bool) {
	if len(line) < 2 || line[0] != '/' || !isASCIILetter(line[1]) {
		return "", "", false
	}
	end := 2
	for end < len(line) && (isASCIILetter(line[end]) || line[end] == '-') {
		end++
	}
	if end == len(line) {
		return line[1:], "", true
	}
	if r, _ := utf8.DecodeRuneInString(line[end:]); !unicode.IsSpace(r) {
		return "", "", false
	}
	return line[1:end], line[end:], true
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// checkLine enforces the limits on a command line before it is split into arguments.
func checkLine(name Name, line string) error {
	if !utf8.ValidString(line) {
		return &UsageError{Name: name, Reason: "the command line is not valid UTF-8; type it again."}
	}
	if n := utf8.RuneCountInString(line); n > MaxLineLength {
		return &UsageError{Name: name, Reason: fmt.Sprintf(
			"the command line is %d characters long; the limit is %d.", n, MaxLineLength)}
	}
	for _, r := range line {
		// Tabs separate arguments like spaces. Other control and invisible formatting characters
		// (NUL, bidirectional overrides, zero-width spaces) only make a command look unlike what it does.
		if r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return &UsageError{Name: name, Reason: fmt.Sprintf(
				"the command line contains an invisible or control character (U+%04X); type it again without it.", r)}
		}
	}
	return nil
}

// String renders the command as a canonical command line that Parse reads back as the same Command.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString("/" + string(c.Name))
	if c.Service != "" {
		b.WriteString(" " + quoteArg(c.Service))
	}
	for _, p := range c.Projects {
		b.WriteString(" " + flagWithValue("-p", p))
	}
	if c.To != "" {
		b.WriteString(" " + flagWithValue("--to", c.To))
	}
	if c.ConfirmDrift {
		b.WriteString(" --confirm-drift")
	}
	if c.ConfirmCost {
		b.WriteString(" --confirm-cost")
	}
	if len(c.Args) > 0 {
		b.WriteString(" --")
		for _, a := range c.Args {
			b.WriteString(" " + quoteArg(a))
		}
	}
	return b.String()
}

// flagWithValue joins a flag and its value; a value starting with "-" needs the "=" form, since a separate
// value that looks like a flag is refused as missing.
func flagWithValue(flag, value string) string {
	if strings.HasPrefix(value, "-") {
		return flag + "=" + quoteArg(value)
	}
	return flag + " " + quoteArg(value)
}
