package command

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNeedsWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name Name
		want bool
	}{
		{NamePlan, false},
		{NameHelp, false},
		{NameApply, true},
		{NameRollback, true},
		{NameUnlock, true},
		{"deploy", true}, // not a command: fail closed
		{"", true},
	} {
		t.Run("/"+string(tc.name)+" needs write: "+map[bool]string{true: "yes", false: "no"}[tc.want], func(t *testing.T) {
			t.Parallel()
			if got := tc.name.NeedsWrite(); got != tc.want {
				t.Errorf("Name(%q).NeedsWrite() = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}

func TestUsageGivesTheLineOfEachCommand(t *testing.T) {
	t.Parallel()
	// As SPEC §8 lists them, with PROJECT for NAME.
	want := map[Name]string{
		NamePlan:     "/plan [-p PROJECT]... [-- TERRAFORM_ARGS]",
		NameApply:    "/apply [-p PROJECT]... [--confirm-drift] [--confirm-cost]",
		NameRollback: "/rollback [SERVICE] [--to DEPLOYMENT_ID|SHA]",
		NameUnlock:   "/unlock [-p PROJECT]...",
		NameHelp:     "/help",
		"deploy":     "",
	}
	got := map[Name]string{}
	for name := range want {
		got[name] = Usage(name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Usage (-want +got):\n%s", diff)
	}
}

func TestHelpListsEveryCommandAndFlagOnALineOfItsOwn(t *testing.T) {
	t.Parallel()
	help := Help()
	lines := strings.Split(help, "\n")
	for _, want := range []string{
		"- `/plan [-p PROJECT]... [-- TERRAFORM_ARGS]`: ",
		"  - `-p PROJECT`, `--project PROJECT`: plan ",
		"  - `-- TERRAFORM_ARGS`: pass flags to `terraform plan`: " + allowedList + ".",
		"- `/apply [-p PROJECT]... [--confirm-drift] [--confirm-cost]`: ",
		"  - `-p PROJECT`, `--project PROJECT`: apply ",
		"  - `--confirm-drift`: ",
		"  - `--confirm-cost`: ",
		"- `/rollback [SERVICE] [--to DEPLOYMENT_ID|SHA]`: ",
		"  - `SERVICE`: ",
		"  - `--to DEPLOYMENT_ID|SHA`: ",
		"- `/unlock [-p PROJECT]...`: ",
		"  - `-p PROJECT`, `--project PROJECT`: only ",
		"- `/help`: ",
	} {
		found := 0
		for _, line := range lines {
			if strings.HasPrefix(line, want) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("Help() has %d lines starting with %q, want 1; help:\n%s", found, want, help)
		}
	}
	// Five commands and eight flags, one line each.
	items := 0
	for _, line := range lines {
		if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "  - ") {
			items++
		}
	}
	if items != 13 {
		t.Errorf("Help() has %d list lines, want 13 (5 commands, 8 flags)", items)
	}
	if !strings.Contains(help, "`/plan` and `/help` need read access") {
		t.Errorf("Help() does not say which commands need only read access:\n%s", help)
	}
}

func TestStringRendersACanonicalCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cmd  Command
		want string
	}{
		{"a bare command is its name", Command{Name: NameHelp}, "/help"},
		{
			"projects use -p, and one starting with a dash the = form",
			Command{Name: NameUnlock, Projects: []string{"a", "-b"}},
			"/unlock -p a -p=-b",
		},
		{
			"apply lists projects then confirmations",
			Command{Name: NameApply, Projects: []string{"prod"}, ConfirmDrift: true, ConfirmCost: true},
			"/apply -p prod --confirm-drift --confirm-cost",
		},
		{"rollback puts the service first", Command{Name: NameRollback, Service: "backend", To: "abc1234"}, "/rollback backend --to abc1234"},
		{
			"Terraform arguments with spaces are single-quoted",
			Command{Name: NamePlan, Args: []string{"-target=x", "-var=a b"}},
			"/plan -- -target=x '-var=a b'",
		},
		{"an argument with an apostrophe is double-quoted", Command{Name: NamePlan, Args: []string{"-var=m=it's"}}, `/plan -- "-var=m=it's"`},
		{
			// Single-quote the runs around each ', and double-quote the ' itself.
			"an argument with both quotes is quoted in parts",
			Command{Name: NamePlan, Args: []string{`-var=a'b"c`}},
			`/plan -- '-var=a'"'"'b"c'`,
		},
		{"an empty argument is a pair of quotes", Command{Name: NamePlan, Args: []string{""}}, "/plan -- ''"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.cmd.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
