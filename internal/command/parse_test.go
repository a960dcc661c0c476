package command

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The usage lines, as SPEC §8 and the /help reply give them; every reply about a known command ends with one.
const (
	planUsage     = "\nUsage: `/plan [-p PROJECT]... [-- TERRAFORM_ARGS]`"
	applyUsage    = "\nUsage: `/apply [-p PROJECT]... [--confirm-drift] [--confirm-cost]`"
	rollbackUsage = "\nUsage: `/rollback [SERVICE] [--to DEPLOYMENT_ID|SHA]`"
	unlockUsage   = "\nUsage: `/unlock [-p PROJECT]...`"
	helpUsage     = "\nUsage: `/help`"
)

// nameRuleText is how replies state the name rule of .gantry.yaml.
const nameRuleText = "use up to 64 letters, digits, `_`, `.` and `-`."

type parseCase struct {
	name  string
	body  string
	want  Command
	reply string // the expected UsageError text; "" when the command is accepted
}

// runParseCases checks comments that are commands: each is accepted as want, or answered with reply.
func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := Parse(tc.body)
			if !ok {
				t.Fatalf("Parse(%q) says this is not a command", tc.body)
			}
			if tc.reply == "" {
				if err != nil {
					t.Fatalf("Parse(%q) refused the command:\n%v", tc.body, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Parse(%q) command (-want +got):\n%s", tc.body, diff)
				}
				return
			}
			var usage *UsageError
			if !errors.As(err, &usage) {
				t.Fatalf("Parse(%q) error = %v (%T), want a *UsageError", tc.body, err, err)
			}
			if diff := cmp.Diff(tc.reply, err.Error()); diff != "" {
				t.Errorf("Parse(%q) reply (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

func TestParseIgnoresCommentsThatAreNotCommands(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"an empty comment is ignored":                           "",
		"a comment of blank lines is ignored":                   "  \r\n\t\n",
		"prose that mentions a command later is ignored":        "LGTM, will /plan after lunch",
		"a path is not a command":                               "/usr/bin/foo",
		"a C++ style comment is not a command":                  "// comment",
		"a slash followed by a space is not a command":          "/ plan",
		"text before the slash makes it prose":                  " text /plan",
		"a command on the second line is ignored":               "Please run\n/plan",
		"a quoted reply is ignored":                             "> /plan\n\nWhy?",
		"a command in a code span is ignored":                   "`/plan`",
		"a name starting with a digit is not a command":         "/1plan",
		"punctuation right after the name is not a command":     "/plan.",
		"a comma right after the name is not a command":         "/apply, please",
		"a NUL right after the name is not a command":           "/plan\x00 -p a",
		"a NUL before the slash makes the line prose":           "\x00/plan",
		"a byte order mark before the slash makes it prose":     "\ufeff/plan",
		"a name with an underscore is not a command":            "/plan_all",
		"a name with non-ASCII letters is not a command":        "/plän",
		"a full-width slash is not a command":                   "／plan",
		"a lone slash is not a command":                         "/",
		"a markdown heading that mentions a command is ignored": "# /plan",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := Parse(body)
			if ok || err != nil {
				t.Errorf("Parse(%q) = %+v, ok=%v, err=%v; want it ignored (ok=false, no error)", body, got, ok, err)
			}
		})
	}
}

func TestParseFindsTheCommandLine(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{name: "a bare command is read", body: "/plan", want: Command{Name: NamePlan}},
		{name: "white space around the command is tolerated", body: " \t/plan \t", want: Command{Name: NamePlan}},
		{
			name: "blank lines before and the explanation after are skipped, with CRLF line ends",
			body: "\r\n  \r\n/plan -p production\r\nThe NAT gateway change needs a fresh plan.\r\n-p other",
			want: Command{Name: NamePlan, Projects: []string{"production"}},
		},
		{name: "a capitalised name is the same command", body: "/Plan", want: Command{Name: NamePlan}},
		{name: "an upper-case name is the same command", body: "/APPLY -p prod", want: Command{Name: NameApply, Projects: []string{"prod"}}},
		{name: "flags stay case-sensitive", body: "/plan -P prod", reply: "`/plan`: unknown flag `-P`." + planUsage},
		{name: "tabs separate arguments", body: "/plan\t-p\tprod", want: Command{Name: NamePlan, Projects: []string{"prod"}}},
		{
			name: "a no-break space from a phone keyboard separates arguments",
			body: "/plan\u00a0-p\u00a0prod",
			want: Command{Name: NamePlan, Projects: []string{"prod"}},
		},
	})
}

func TestParseEnforcesLineLimits(t *testing.T) {
	t.Parallel()
	// "/plan -- -var=x=" is 16 characters, so 984 more make exactly 1,000.
	atLimit := "/plan -- -var=x=" + strings.Repeat("é", 984)
	runParseCases(t, []parseCase{
		{
			name: "a line of exactly 1,000 characters is accepted, counting characters rather than bytes",
			body: atLimit,
			want: Command{Name: NamePlan, Args: []string{"-var=x=" + strings.Repeat("é", 984)}},
		},
		{
			name:  "a line of 1,001 characters is refused",
			body:  atLimit + "é",
			reply: "`/plan`: the command line is 1001 characters long; the limit is 1000." + planUsage,
		},
		{
			name:  "a NUL inside the line is refused",
			body:  "/plan -p a\x00b",
			reply: "`/plan`: the command line contains an invisible or control character (U+0000); type it again without it." + planUsage,
		},
		{
			name:  "an escape character is refused",
			body:  "/apply \x1b[31m",
			reply: "`/apply`: the command line contains an invisible or control character (U+001B); type it again without it." + applyUsage,
		},
		{
			name:  "a right-to-left override is refused, because it makes the line read unlike what it does",
			body:  "/plan -p \u202eedoc",
			reply: "`/plan`: the command line contains an invisible or control character (U+202E); type it again without it." + planUsage,
		},
		{
			name:  "a zero-width space is refused",
			body:  "/unlock -p prod\u200b",
			reply: "`/unlock`: the command line contains an invisible or control character (U+200B); type it again without it." + unlockUsage,
		},
		{
			name:  "invalid UTF-8 is refused",
			body:  "/plan -p \xff",
			reply: "`/plan`: the command line is not valid UTF-8; type it again." + planUsage,
		},
	})
}

func TestParseTokenisesWithoutAShell(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{name: "double quotes group a value", body: `/plan -p "prod"`, want: Command{Name: NamePlan, Projects: []string{"prod"}}},
		{name: "single quotes group a value", body: `/plan --project='prod'`, want: Command{Name: NamePlan, Projects: []string{"prod"}}},
		{
			name: "quoted parts join the unquoted text next to them",
			body: `/plan -- -var=tags='a b'"c d"`,
			want: Command{Name: NamePlan, Args: []string{"-var=tags=a bc d"}},
		},
		{
			name: "one kind of quote is literal inside the other",
			body: `/plan -- -var "motd=it's" -var 'say="hi"'`,
			want: Command{Name: NamePlan, Args: []string{"-var=motd=it's", `-var=say="hi"`}},
		},
		{
			name: "dollar signs, globs, backslashes and semicolons are passed as typed",
			body: `/plan -- -var=x=$HOME/*;\n -target=$(id)`,
			want: Command{Name: NamePlan, Args: []string{`-var=x=$HOME/*;\n`, "-target=$(id)"}},
		},
		{name: "an unterminated double quote is refused", body: `/plan -p "my project`, reply: "`/plan`: a `\"` quote is not closed." + planUsage},
		{name: "an unterminated single quote is refused", body: `/rollback 'backend`, reply: "`/rollback`: a `'` quote is not closed." + rollbackUsage},
	})
}

func TestParseHelpFlag(t *testing.T) {
	t.Parallel()
	planHelp := "`/plan`: plan the projects this pull request changes." + planUsage +
		"\n- `-p PROJECT`, `--project PROJECT`: plan this project instead, changed or not (repeatable)." +
		"\n- `-- TERRAFORM_ARGS`: pass flags to `terraform plan`: `-target`, `-replace`, `-var`, `-var-file`, " +
		"`-refresh`, `-refresh-only`, `-destroy`, `-parallelism`, `-lock`, `-lock-timeout`, `-compact-warnings`."
	runParseCases(t, []parseCase{
		{name: "-h answers with the usage of the command", body: "/plan -h", reply: planHelp},
		{name: "--help answers the same", body: "/plan --help", reply: planHelp},
		{name: "-h wins over a mistake elsewhere on the line", body: "/plan -x -h", reply: planHelp},
		{
			name: "-h on apply lists apply's flags",
			body: "/apply -p prod -h",
			reply: "`/apply`: apply this pull request's saved plans, or confirm an apply held after merge." + applyUsage +
				"\n- `-p PROJECT`, `--project PROJECT`: apply only this project (repeatable)." +
				"\n- `--confirm-drift`: apply although the plan at the merge commit differs from the one shown here." +
				"\n- `--confirm-cost`: apply although the monthly cost rises more than the project allows.",
		},
		{name: "-h on help gives its one-line usage", body: "/help -h", reply: "`/help`: list the commands." + helpUsage},
	})
}

func TestHelpFlagIsNotAProblem(t *testing.T) {
	t.Parallel()
	_, _, err := Parse("/rollback --help")
	var usage *UsageError
	if !errors.As(err, &usage) {
		t.Fatalf("Parse(/rollback --help) error = %v, want a *UsageError", err)
	}
	want := &UsageError{Name: NameRollback}
	if diff := cmp.Diff(want, usage); diff != "" {
		t.Errorf("a help request is a UsageError with no reason (-want +got):\n%s", diff)
	}
	if usage.UnknownCommand() {
		t.Error("UnknownCommand() = true for /rollback")
	}
}

func TestParseUnknownCommands(t *testing.T) {
	t.Parallel()
	list := " is not a gantry command. The commands are:\n" +
		"- `/plan [-p PROJECT]... [-- TERRAFORM_ARGS]`\n" +
		"- `/apply [-p PROJECT]... [--confirm-drift] [--confirm-cost]`\n" +
		"- `/rollback [SERVICE] [--to DEPLOYMENT_ID|SHA]`\n" +
		"- `/unlock [-p PROJECT]...`\n" +
		"- `/help`\n" +
		"Comment `/help` to see what each one does."
	for _, tc := range []struct {
		name, body string
		wantName   Name
		reply      string
	}{
		{"an unknown command gets the list of commands", "/deploy", "deploy", "`/deploy`" + list},
		{"an unknown capitalised command is named in lower case", "/Deploy now please", "deploy", "`/deploy`" + list},
		{"a longer name that starts like a command is unknown", "/plan-all -p x", "plan-all", "`/plan-all`" + list},
		{
			"a very long unknown name is cut short in the reply",
			"/" + strings.Repeat("a", 100),
			Name(strings.Repeat("a", 100)),
			"`/" + strings.Repeat("a", 39) + "…`" + list,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ok, err := Parse(tc.body)
			var usage *UsageError
			if !ok || !errors.As(err, &usage) {
				t.Fatalf("Parse(%q) = ok %v, err %v; want ok and a *UsageError", tc.body, ok, err)
			}
			if usage.Name != tc.wantName || !usage.UnknownCommand() {
				t.Errorf("UsageError name %q, UnknownCommand %v; want %q, true", usage.Name, usage.UnknownCommand(), tc.wantName)
			}
			if diff := cmp.Diff(tc.reply, err.Error()); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}
