package command

import (
	"fmt"
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
			if name == "var-file" && !isRelativePath(value) {
				return p.fail("`-var-file` must be a path relative to the project directory, naming a file in the repository; %s is not.", code(value))
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

// isRelativePath reports whether a -var-file path is relative: not absolute, not from the home directory
// and not on a drive (for Windows runners). Whether it stays inside the repository depends on the project
// directory it is read from, which the plan checks (VarFileOutside); here it may still go up with "..".
func isRelativePath(path string) bool {
	return !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, `\`) && !strings.HasPrefix(path, "~") &&
		!(len(path) > 1 && path[1] == ':')
}

// VarFileOutside checks the -var-file arguments of args (as Parse returns them) read from the project
// directory dir (slash-separated, relative to the repository root). It returns the reply for the first
// one that is not relative or whose ".." elements lead above the repository root, or "" when every one
// names a path inside the repository. Both separators count, for Windows runners.
func VarFileOutside(args []string, dir string) string {
	for _, arg := range args {
		value, ok := strings.CutPrefix(arg, "-var-file=")
		if !ok {
			continue
		}
		if !isRelativePath(value) {
			return "`-var-file` must be a path relative to the project directory, naming a file in the repository; " +
				code(value) + " is not."
		}
		depth := 0
		for _, elem := range pathElems(dir) {
			if elem == ".." {
				depth = max(depth-1, 0)
			} else {
				depth++
			}
		}
		up := depth
		for _, elem := range pathElems(value) {
			if elem == ".." {
				depth--
			} else {
				depth++
			}
			if depth < 0 {
				return fmt.Sprintf("`-var-file` %s leaves the repository: from the project directory %s it may go up at most %d "+
					"director%s.", code(value), code(strings.TrimSuffix(dir, "/")+"/"), up, plural(up, "y", "ies"))
			}
		}
	}
	return ""
}

// pathElems splits a path at either separator, leaving out empty and "." elements.
func pathElems(p string) []string {
	var elems []string
	for elem := range strings.FieldsFuncSeq(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if elem != "." {
			elems = append(elems, elem)
		}
	}
	return elems
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
