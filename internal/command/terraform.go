package command

import (
	"strconv"
	"strings"
)

// terraformFlags are the `terraform plan` flags a comment may pass, with whether each takes a value.
// Everything else is refused: flags that move the work directory, state or plugins elsewhere could read or
// overwrite files outside the checkout, and the rest (-out, -input, -json, ...) gantry sets itself.
var terraformFlags = map[string]bool{
	"target": true, "replace": true, "var": true, "var-file": true, "parallelism": true, "lock-timeout": true,
	"refresh": false, "refresh-only": false, "destroy": false, "lock": false, "compact-warnings": false,
}

// terraformFlagOrder lists terraformFlags in the order replies show them.
var terraformFlagOrder = []string{
	"target", "replace", "var", "var-file", "refresh", "refresh-only", "destroy", "parallelism",
	"lock", "lock-timeout", "compact-warnings",
}

// terraformArgs reads the arguments after `--` (all remaining tokens) into cmd.Args, normalised to one
// argument per flag, -name or -name=value, so Terraform reads exactly what was checked: a separate value
// becomes -name=value and a double dash a single one.
func (p *argParser) terraformArgs() error {
	if p.cmd.Name != NamePlan {
		return p.fail("unexpected `--`: only `/plan` takes Terraform arguments.")
	}
	tokens := p.tokens[p.pos:]
	p.pos = len(p.tokens)
	var args []string
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		if tok == "--" {
			return p.fail("`--` may appear only once; everything after it goes to Terraform.")
		}
		if !strings.HasPrefix(tok, "-") || tok == "-" {
			if hint := dashHint(tok); hint != "" {
				return p.fail("Terraform argument %s is not a flag.%s", code(tok), hint)
			}
			return p.fail("Terraform argument %s is not a flag: `terraform plan` takes only flags, such as `-target=ADDRESS`.", code(tok))
		}
		shown, value, hasValue := strings.Cut(tok, "=")
		name := strings.TrimPrefix(shown[1:], "-")
		if why := refusedTerraformFlag(name); why != "" {
			return p.fail("Terraform flag %s is not allowed: %s.", code(shown), why)
		}
		takesValue, allowed := terraformFlags[name]
		switch {
		case !allowed:
			return p.fail("Terraform flag %s is not allowed. Allowed: %s.", code(shown), allowedTerraformFlags())
		case !takesValue && hasValue:
			b, err := strconv.ParseBool(value)
			if err != nil {
				return p.fail("Terraform flag %s takes `true` or `false`, not %s.", code(shown), code(value))
			}
			args = append(args, "-"+name+"="+strconv.FormatBool(b))
		case !takesValue:
			args = append(args, "-"+name)
		default:
			if !hasValue && i+1 < len(tokens) && !strings.HasPrefix(tokens[i+1], "-") {
				i++
				value = tokens[i]
			}
			if value == "" {
				return p.fail("Terraform flag %s needs a value, as in %s.", code(shown), code("-"+name+"=VALUE"))
			}
			if name == "var-file" && !isInsidePath(value) {
				return p.fail("`-var-file` must be a relative path inside the project directory, without `..`; %s is not.", code(value))
			}
			args = append(args, "-"+name+"="+value)
		}
	}
	p.cmd.Args = args
	return nil
}

// refusedTerraformFlag says why a flag is refused outright, or returns "" when it is not.
func refusedTerraformFlag(name string) string {
	switch {
	case name == "chdir":
		return "it would run Terraform in another directory"
	case name == "plugin-dir":
		return "it would load providers from another directory"
	case name == "backup" || strings.HasPrefix(name, "state"):
		return "it would change where Terraform keeps its state"
	case name == "out":
		return "gantry sets `-out` itself"
	}
	return ""
}

// isTerraformFlag reports whether tok, such as "-target" or "--var", names an allowed Terraform flag.
func isTerraformFlag(tok string) bool {
	_, ok := terraformFlags[strings.TrimLeft(tok, "-")]
	return ok
}

func allowedTerraformFlags() string {
	quoted := make([]string, len(terraformFlagOrder))
	for i, name := range terraformFlagOrder {
		quoted[i] = "`-" + name + "`"
	}
	return strings.Join(quoted, ", ")
}

// isInsidePath reports whether a -var-file path stays below the directory Terraform runs in: relative,
// not starting from the home directory, and with no ".." element (either separator, for Windows runners).
func isInsidePath(path string) bool {
	if strings.HasPrefix(path, "/") || strings.HasPrefix(path, `\`) || strings.HasPrefix(path, "~") ||
		(len(path) > 1 && path[1] == ':') {
		return false
	}
	for elem := range strings.FieldsFuncSeq(path, func(r rune) bool { return r == '/' || r == '\\' }) {
		if elem == ".." {
			return false
		}
	}
	return true
}
