package command

import (
	"errors"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// The rules below are restated from the specification rather than taken from the parser, so the fuzzer
// checks the parser against them.
var (
	fuzzNameRule  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	fuzzToRule    = regexp.MustCompile(`^([0-9]+|[0-9a-f]{7,40})$`)
	fuzzTerraform = map[string]bool{
		"target": true, "replace": true, "var": true, "var-file": true, "refresh": true, "refresh-only": true,
		"destroy": true, "parallelism": true, "lock": true, "lock-timeout": true, "compact-warnings": true,
	}
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"/plan",
		"/plan -p production -- -target=module.alb",
		"/apply -p a --confirm-drift --confirm-cost\nbecause",
		"/rollback backend --to 0123abc",
		"/unlock --project=x -p=y",
		`/plan -- -var "a=it's" -var='b="q"' -var-file ../x`,
		"/Help -h",
		"/deploy now",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		cmd, ok, err := Parse(body)
		if !ok {
			if err != nil {
				t.Fatalf("Parse(%q) ignored the comment but returned an error: %v", body, err)
			}
			return
		}
		if err != nil {
			checkReply(t, body, err)
			return
		}
		checkCommand(t, body, cmd)
		line := cmd.String()
		// Canonical quoting can make a line longer than the one typed; past the limit it cannot come back.
		if utf8.RuneCountInString(line) > MaxLineLength {
			return
		}
		again, ok, err := Parse(line)
		if !ok || err != nil {
			t.Fatalf("Parse(%q) = %+v, but its rendering %q does not parse: ok=%v err=%v", body, cmd, line, ok, err)
		}
		if diff := cmp.Diff(cmd, again); diff != "" {
			t.Fatalf("Parse(%q) then String() = %q parses differently (-first +again):\n%s", body, line, diff)
		}
	})
}

// checkReply asserts that a refusal is a UsageError whose text cannot ping anyone or break its Markdown.
func checkReply(t *testing.T, body string, err error) {
	t.Helper()
	var usage *UsageError
	if !errors.As(err, &usage) {
		t.Fatalf("Parse(%q) error %v is a %T, want *UsageError", body, err, err)
	}
	reply := err.Error()
	for line := range strings.Lines(reply) {
		// Every line opens and closes its code spans, and an @ appears only inside one.
		parts := strings.Split(line, "`")
		if len(parts)%2 == 0 {
			t.Fatalf("Parse(%q) reply line %q leaves a code span open", body, line)
		}
		for i := 0; i < len(parts); i += 2 {
			if strings.Contains(parts[i], "@") {
				t.Fatalf("Parse(%q) reply line %q has an @ outside code", body, line)
			}
		}
	}
	if strings.Contains(reply, "<!--") {
		t.Fatalf("Parse(%q) reply %q carries an HTML comment", body, reply)
	}
}

// checkCommand asserts that an accepted command obeys the name rules and carries no refused Terraform flag.
func checkCommand(t *testing.T, body string, cmd Command) {
	t.Helper()
	for _, p := range cmd.Projects {
		if !fuzzNameRule.MatchString(p) {
			t.Fatalf("Parse(%q) accepted project %q", body, p)
		}
	}
	if cmd.Service != "" && !fuzzNameRule.MatchString(cmd.Service) {
		t.Fatalf("Parse(%q) accepted service %q", body, cmd.Service)
	}
	if cmd.To != "" && !fuzzToRule.MatchString(cmd.To) {
		t.Fatalf("Parse(%q) accepted --to %q", body, cmd.To)
	}
	if len(cmd.Args) > 0 && cmd.Name != NamePlan {
		t.Fatalf("Parse(%q) gave Terraform arguments to /%s", body, cmd.Name)
	}
	for _, arg := range cmd.Args {
		if reason := refusedArg(arg); reason != "" {
			t.Fatalf("Parse(%q) accepted Terraform argument %q: %s", body, arg, reason)
		}
	}
}

// refusedArg says why Terraform must not see arg, or returns "".
func refusedArg(arg string) string {
	if !strings.HasPrefix(arg, "-") || strings.HasPrefix(arg, "--") {
		return "not a single-dash flag, so Terraform could read it differently than it was checked"
	}
	name, value, _ := strings.Cut(arg[1:], "=")
	switch {
	case name == "chdir" || name == "plugin-dir" || name == "out" || name == "backup" || strings.HasPrefix(name, "state"):
		return "a refused flag"
	case !fuzzTerraform[name]:
		return "not on the allow-list"
	case name == "var-file":
		// ".." may lead to a file elsewhere in the repository; the plan checks it against the project's
		// directory (VarFileOutside, fuzzed below).
		if strings.HasPrefix(value, "/") || strings.HasPrefix(value, "\\") || strings.HasPrefix(value, "~") ||
			(len(value) > 1 && value[1] == ':') {
			return "an absolute var-file"
		}
	}
	return ""
}

// FuzzVarFileOutside checks VarFileOutside against path.Join: a -var-file read from a project directory
// is accepted exactly when the path it names, cleaned as the kernel would without links, stays inside
// the repository. (Links are the plan's to check: it resolves the path inside the checkout.)
func FuzzVarFileOutside(f *testing.F) {
	for _, seed := range [][2]string{
		{"terraform/envs/production", "../common.tfvars"},
		{"terraform/envs/production", "../../../../etc/passwd"},
		{"infra", `..\..\x.tfvars`},
		{".", "a/../b.tfvars"},
		{"", "../x"},
		{"a/./b/", "./../../.././x"},
		{"infra", "/etc/passwd"},
		{"infra", "~/x"},
		{"infra", `C:\x`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, dir, value string) {
		slashed := func(s string) string { return strings.ReplaceAll(s, `\`, "/") }
		cleanDir := path.Clean(slashed(dir))
		if path.IsAbs(cleanDir) || cleanDir == ".." || strings.HasPrefix(cleanDir, "../") || value == "" {
			return // .gantry.yaml refuses such a dir; the parser refuses an empty value
		}
		reply := VarFileOutside([]string{"-var-file=" + value}, dir)
		joined := path.Join(cleanDir, slashed(value))
		absolute := strings.HasPrefix(value, "/") || strings.HasPrefix(value, `\`) || strings.HasPrefix(value, "~") ||
			(len(value) > 1 && value[1] == ':')
		inside := !absolute && joined != ".." && !strings.HasPrefix(joined, "../")
		if inside != (reply == "") {
			t.Fatalf("VarFileOutside(%q, %q) = %q, but the path is %q (inside the repository: %v)", value, dir, reply, joined, inside)
		}
		if reply != "" && (strings.Count(reply, "`")%2 != 0 || strings.Contains(reply, "<!--")) {
			t.Fatalf("VarFileOutside(%q, %q) reply %q breaks its Markdown", value, dir, reply)
		}
	})
}
