package command

import (
	"strings"
	"testing"
)

func TestParsePlan(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{name: "plan with no flags plans the affected projects", body: "/plan", want: Command{Name: NamePlan}},
		{name: "-p names a project", body: "/plan -p production", want: Command{Name: NamePlan, Projects: []string{"production"}}},
		{
			name: "all four spellings of the project flag are accepted, in order",
			body: "/plan -p a --project b --project=c -p=d",
			want: Command{Name: NamePlan, Projects: []string{"a", "b", "c", "d"}},
		},
		{
			name: "a repeated project is kept once, at its first place",
			body: "/plan -p b -p a -p b",
			want: Command{Name: NamePlan, Projects: []string{"b", "a"}},
		},
		{
			name: "project names are case-sensitive, so both spellings stay",
			body: "/plan -p Prod -p prod",
			want: Command{Name: NamePlan, Projects: []string{"Prod", "prod"}},
		},
		{
			name: "a project name starting with a dash can be given with =",
			body: "/plan -p=-odd.name_1",
			want: Command{Name: NamePlan, Projects: []string{"-odd.name_1"}},
		},
		{
			name: "the example from the specification is read",
			body: "/plan -p production -- -target=module.alb",
			want: Command{Name: NamePlan, Projects: []string{"production"}, Args: []string{"-target=module.alb"}},
		},
		{name: "a trailing -- with nothing after it adds no arguments", body: "/plan --", want: Command{Name: NamePlan}},
		{name: "-p without a value is refused", body: "/plan -p", reply: "`/plan`: `-p` needs a project name." + planUsage},
		{name: "-p followed by a flag is a missing value", body: "/plan -p --project x", reply: "`/plan`: `-p` needs a project name." + planUsage},
		{name: "-p followed by -- is a missing value", body: "/plan -p -- -destroy", reply: "`/plan`: `-p` needs a project name." + planUsage},
		{name: "an empty --project= is refused", body: "/plan --project=", reply: "`/plan`: `--project` needs a project name." + planUsage},
		{name: "an empty quoted project is refused", body: `/plan -p ""`, reply: "`/plan`: `-p` needs a project name." + planUsage},
		{
			name:  "a project name with a space is refused",
			body:  `/plan -p "my project"`,
			reply: "`/plan`: `my project` is not a valid project name: " + nameRuleText + planUsage,
		},
		{
			name:  "a project name with a slash is refused",
			body:  "/plan -p terraform/envs/prod",
			reply: "`/plan`: `terraform/envs/prod` is not a valid project name: " + nameRuleText + planUsage,
		},
		{
			name: "a 64-character project name is accepted",
			body: "/plan -p " + strings.Repeat("p", 64),
			want: Command{Name: NamePlan, Projects: []string{strings.Repeat("p", 64)}},
		},
		{
			// The reply repeats 40 characters of the 65 and marks the cut.
			name:  "a 65-character project name is refused and cut short in the reply",
			body:  "/plan -p " + strings.Repeat("p", 65),
			reply: "`/plan`: `" + strings.Repeat("p", 40) + "…` is not a valid project name: " + nameRuleText + planUsage,
		},
		{name: "an unknown flag is named in the reply", body: "/plan -x", reply: "`/plan`: unknown flag `-x`." + planUsage},
		{
			name:  "an unknown flag with a value is named without the value",
			body:  "/plan --verbose=2",
			reply: "`/plan`: unknown flag `--verbose`." + planUsage,
		},
		{name: "an apply flag on plan is unknown", body: "/plan --confirm-drift", reply: "`/plan`: unknown flag `--confirm-drift`." + planUsage},
		{
			name:  "a Terraform flag before -- is refused with a pointer to --",
			body:  "/plan -target=module.alb",
			reply: "`/plan`: unknown flag `-target`. Terraform arguments go after `--`." + planUsage,
		},
		{
			name:  "a bare project name suggests -p",
			body:  "/plan production",
			reply: "`/plan`: unexpected argument `production`. To name a project, write `-p production`." + planUsage,
		},
		{
			name:  "a dash turned into an em dash by the keyboard gets a hint",
			body:  "/plan -p prod — -target=x",
			reply: "`/plan`: unexpected argument `—`. Your keyboard may have turned `--` into a dash: type two hyphens." + planUsage,
		},
	})
}

func TestParseApply(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{name: "apply with no flags applies every saved plan", body: "/apply", want: Command{Name: NameApply}},
		{
			name: "apply takes projects and drift confirmation",
			body: "/apply -p production --confirm-drift",
			want: Command{Name: NameApply, Projects: []string{"production"}, ConfirmDrift: true},
		},
		{
			name: "both confirmations may be given, and repeating one is harmless",
			body: "/apply --confirm-cost --confirm-drift --confirm-cost",
			want: Command{Name: NameApply, ConfirmDrift: true, ConfirmCost: true},
		},
		{
			name:  "a confirmation flag takes no value",
			body:  "/apply --confirm-drift=true",
			reply: "`/apply`: `--confirm-drift` takes no value." + applyUsage,
		},
		{
			name:  "Terraform arguments on apply are refused",
			body:  "/apply -- -target=x",
			reply: "`/apply`: unexpected `--`: only `/plan` takes Terraform arguments." + applyUsage,
		},
		{
			name:  "an em dash from a phone keyboard gets a hint",
			body:  "/apply —confirm-drift",
			reply: "`/apply`: unexpected argument `—confirm-drift`. Your keyboard may have turned `--` into a dash: type two hyphens." + applyUsage,
		},
		{name: "a rollback flag on apply is unknown", body: "/apply --to=abc1234", reply: "`/apply`: unknown flag `--to`." + applyUsage},
		{
			name:  "a bare project name suggests -p",
			body:  "/apply production",
			reply: "`/apply`: unexpected argument `production`. To name a project, write `-p production`." + applyUsage,
		},
	})
}

func TestParseRollback(t *testing.T) {
	t.Parallel()
	sha := "0123456789abcdef0123456789abcdef01234567"
	runParseCases(t, []parseCase{
		{name: "rollback with nothing rolls back the only service", body: "/rollback", want: Command{Name: NameRollback}},
		{name: "rollback names a service", body: "/rollback backend", want: Command{Name: NameRollback, Service: "backend"}},
		{
			name: "--to takes a deployment ID",
			body: "/rollback backend --to 42",
			want: Command{Name: NameRollback, Service: "backend", To: "42"},
		},
		{
			name: "--to= takes a short SHA, in any case, and may come first",
			body: "/rollback --to=A1B2C3D backend",
			want: Command{Name: NameRollback, Service: "backend", To: "a1b2c3d"},
		},
		{name: "--to takes a full SHA", body: "/rollback --to " + sha, want: Command{Name: NameRollback, To: sha}},
		{
			name:  "two services are refused",
			body:  "/rollback backend frontend",
			reply: "`/rollback`: unexpected argument `frontend`: roll back one service at a time." + rollbackUsage,
		},
		{name: "a repeated --to is refused", body: "/rollback --to 1 --to 2", reply: "`/rollback`: `--to` is given twice; give it once." + rollbackUsage},
		{name: "--to without a value is refused", body: "/rollback backend --to", reply: "`/rollback`: `--to` needs a deployment ID or a commit SHA." + rollbackUsage},
		{
			name:  "a SHA shorter than 7 hex digits is refused",
			body:  "/rollback --to abc",
			reply: "`/rollback`: `abc` is neither a deployment ID (a number) nor a commit SHA (7 to 40 hex digits)." + rollbackUsage,
		},
		{
			name:  "a branch name is not a deployment",
			body:  "/rollback --to main",
			reply: "`/rollback`: `main` is neither a deployment ID (a number) nor a commit SHA (7 to 40 hex digits)." + rollbackUsage,
		},
		{
			name:  "a 41-digit SHA is refused",
			body:  "/rollback --to " + sha + "a",
			reply: "`/rollback`: `" + sha + "…` is neither a deployment ID (a number) nor a commit SHA (7 to 40 hex digits)." + rollbackUsage,
		},
		{
			name:  "-p on rollback points at the positional service",
			body:  "/rollback -p backend",
			reply: "`/rollback`: unknown flag `-p`. Name the service without a flag: `/rollback SERVICE`." + rollbackUsage,
		},
		{
			name:  "a service name outside the name rule is refused",
			body:  "/rollback back/end",
			reply: "`/rollback`: `back/end` is not a valid service name: " + nameRuleText + rollbackUsage,
		},
		{
			name:  "an em dash before to gets a hint",
			body:  "/rollback backend —to 42",
			reply: "`/rollback`: unexpected argument `—to`. Your keyboard may have turned `--` into a dash: type two hyphens." + rollbackUsage,
		},
		{name: "-- is refused", body: "/rollback -- x", reply: "`/rollback`: unexpected `--`: only `/plan` takes Terraform arguments." + rollbackUsage},
	})
}

func TestParseUnlockAndHelp(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{name: "unlock with no flags releases every lock of the PR", body: "/unlock", want: Command{Name: NameUnlock}},
		{name: "unlock takes projects", body: "/unlock -p a --project=b", want: Command{Name: NameUnlock, Projects: []string{"a", "b"}}},
		{name: "an apply flag on unlock is unknown", body: "/unlock --confirm-cost", reply: "`/unlock`: unknown flag `--confirm-cost`." + unlockUsage},
		{name: "help is read", body: "/help", want: Command{Name: NameHelp}},
		{name: "help is case-insensitive", body: "/HELP", want: Command{Name: NameHelp}},
		{name: "help takes no arguments", body: "/help plan", reply: "`/help`: unexpected argument `plan`." + helpUsage},
		{name: "help takes no projects", body: "/help -p x", reply: "`/help`: unknown flag `-p`." + helpUsage},
	})
}

func TestRepliesCannotBreakOutOrPing(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{
			name:  "a mention stays inside the code span",
			body:  "/plan -p @org/admins",
			reply: "`/plan`: `@org/admins` is not a valid project name: " + nameRuleText + planUsage,
		},
		{
			name:  "backticks are dropped so the code span cannot end early",
			body:  "/plan -p x`@admin`",
			reply: "`/plan`: `x@admin` is not a valid project name: " + nameRuleText + planUsage,
		},
		{
			name:  "angle brackets are dropped so a reply never carries a comment marker",
			body:  "/plan -p '<!-- gantry:project=prod -->'",
			reply: "`/plan`: `!-- gantry:project=prod --` is not a valid project name: " + nameRuleText + planUsage,
		},
		{
			name:  "a token of only backticks shows as empty quotes",
			body:  "/unlock -p ``",
			reply: "`/unlock`: `\"\"` is not a valid project name: " + nameRuleText + unlockUsage,
		},
	})
}
