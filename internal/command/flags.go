package command

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// namePattern is the rule .gantry.yaml applies to project and service names.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// toPattern accepts a deployment ID (digits) or a commit SHA (7 to 40 hex digits).
var toPattern = regexp.MustCompile(`^([0-9]{1,40}|[0-9a-fA-F]{7,40})$`)

// parseArgs reads the arguments of a known command.
func parseArgs(name Name, tokens []string) (Command, error) {
	if wantsHelp(tokens) {
		return Command{}, &UsageError{Name: name}
	}
	p := argParser{cmd: Command{Name: name}, tokens: tokens}
	for p.pos < len(p.tokens) {
		tok := p.tokens[p.pos]
		p.pos++
		var err error
		switch {
		case tok == "--":
			err = p.terraformArgs()
		case strings.HasPrefix(tok, "-"):
			err = p.flag(tok)
		default:
			err = p.positional(tok)
		}
		if err != nil {
			return Command{}, err
		}
	}
	return p.cmd, nil
}

// wantsHelp reports whether -h or --help appears among the command's own arguments, wherever they are,
// so that the usage is shown even when the rest of the line is wrong.
func wantsHelp(tokens []string) bool {
	for _, tok := range tokens {
		switch tok {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}

type argParser struct {
	cmd    Command
	tokens []string
	pos    int // index of the next unread token
}

func (p *argParser) fail(format string, args ...any) error {
	return &UsageError{Name: p.cmd.Name, Reason: fmt.Sprintf(format, args...)}
}

func (p *argParser) flag(tok string) error {
	flag, value, hasValue := strings.Cut(tok, "=")
	name := p.cmd.Name
	switch {
	case (flag == "-p" || flag == "--project") && name != NameRollback && name != NameHelp:
		project, err := p.value(flag, value, hasValue, "a project name")
		if err != nil {
			return err
		}
		if !namePattern.MatchString(project) {
			return p.fail("%s is not a valid project name: use up to 64 letters, digits, `_`, `.` and `-`.", code(project))
		}
		if !slices.Contains(p.cmd.Projects, project) {
			p.cmd.Projects = append(p.cmd.Projects, project)
		}
	case (flag == "--confirm-drift" || flag == "--confirm-cost") && name == NameApply:
		if hasValue {
			return p.fail("%s takes no value.", code(flag))
		}
		if flag == "--confirm-drift" {
			p.cmd.ConfirmDrift = true
		} else {
			p.cmd.ConfirmCost = true
		}
	case flag == "--to" && name == NameRollback:
		if p.cmd.To != "" {
			return p.fail("`--to` is given twice; give it once.")
		}
		to, err := p.value(flag, value, hasValue, "a deployment ID or a commit SHA")
		if err != nil {
			return err
		}
		if !toPattern.MatchString(to) {
			return p.fail("%s is neither a deployment ID (a number) nor a commit SHA (7 to 40 hex digits).", code(to))
		}
		p.cmd.To = strings.ToLower(to)
	default:
		return p.fail("unknown flag %s.%s", code(flag), p.hint(flag))
	}
	return nil
}

// value returns the value of a flag given as flag=value or as the next argument. A next argument that
// starts with "-" is taken for a forgotten value rather than a value, so `-p --confirm-cost` is an error;
// such a value can still be written flag=value.
func (p *argParser) value(flag, value string, hasValue bool, what string) (string, error) {
	if !hasValue {
		if p.pos == len(p.tokens) || strings.HasPrefix(p.tokens[p.pos], "-") {
			return "", p.fail("%s needs %s.", code(flag), what)
		}
		value = p.tokens[p.pos]
		p.pos++
	}
	if value == "" {
		return "", p.fail("%s needs %s.", code(flag), what)
	}
	return value, nil
}

func (p *argParser) positional(tok string) error {
	if p.cmd.Name != NameRollback {
		return p.fail("unexpected argument %s.%s", code(tok), p.hint(tok))
	}
	if hint := p.hint(tok); hint != "" {
		return p.fail("unexpected argument %s.%s", code(tok), hint)
	}
	if p.cmd.Service != "" {
		return p.fail("unexpected argument %s: roll back one service at a time.", code(tok))
	}
	if !namePattern.MatchString(tok) {
		return p.fail("%s is not a valid service name: use up to 64 letters, digits, `_`, `.` and `-`.", code(tok))
	}
	p.cmd.Service = tok
	return nil
}

// hint suggests a fix for a token that was not understood, or returns "".
func (p *argParser) hint(tok string) string {
	name := p.cmd.Name
	switch {
	case dashHint(tok) != "":
		return dashHint(tok)
	case name == NamePlan && isTerraformFlag(tok):
		return " Terraform arguments go after `--`."
	case name == NameRollback && (tok == "-p" || tok == "--project"):
		return " Name the service without a flag: `/rollback SERVICE`."
	case name != NameHelp && name != NameRollback && !strings.HasPrefix(tok, "-") && namePattern.MatchString(tok):
		return " To name a project, write " + code("-p "+tok) + "."
	}
	return ""
}

// dashHint explains a token that starts with an em or en dash, which phone and desktop keyboards make out
// of a typed "--"; it returns "" for other tokens.
func dashHint(tok string) string {
	if strings.HasPrefix(tok, "—") || strings.HasPrefix(tok, "–") {
		return " Your keyboard may have turned `--` into a dash: type two hyphens."
	}
	return ""
}
