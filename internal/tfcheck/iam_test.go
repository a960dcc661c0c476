package tfcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// Each fixture under testdata/iam breaks one least-privilege rule; the check must name it.
func TestTheIAMChecksCatchEachBadFixture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		want    []string
	}{
		{"shared_subject", []string{`roles "plan" and "apply" both trust the subject "repo:${var.github_repository}:environment:production"`}},
		{"trust_without_sub", []string{"has no StringEquals condition on the token's sub"}},
		{"unbounded_create_role", []string{
			`statement "Roles" allows iam:CreateRole without requiring the permissions boundary`,
			`role "apply" may call iam:CreateRole but has no permissions boundary itself`,
		}},
		{"passrole_without_service", []string{
			`statement "PassTaskRoles" allows iam:PassRole without an iam:PassedToService condition`,
			`statement "PassAnyAppRole" allows iam:PassRole on ["arn:aws:iam::111111111111:role/app-*"]`,
		}},
		{"plan_writes_state", []string{
			`statement "ReadWriteState" allows s3:PutObject on "arn:aws:s3:::state-bucket/production/terraform.tfstate"`,
			`statement "StateLock" allows dynamodb:PutItem on any item`,
			`statement "Tags" grants ec2:CreateTags, which is not a read`,
		}},
		{"apply_unguarded", []string{
			`role "apply" may change IAM but has no permissions boundary`,
			`nothing in role "apply"'s policies denies iam:PutRolePolicy on role/x-apply`,
			`nothing in role "apply"'s policies denies iam:UpdateAssumeRolePolicy on role/x-plan`,
		}},
		{"boundary_too_narrow", []string{`grants logs:CreateLogStream, which its permissions boundary does not allow`}},
		{"oversized_policy", []string{`role "apply"'s inline policies come to about`}},
		// gantry's own tokens (SPEC §10, "Workload identity").
		{"gantry_loose_trust", []string{
			`condition on gantry.example.org:sub uses StringLike`,
			`condition on gantry.example.org:sub has a wildcard value "repo:*:project:*:phase:apply"`,
			`the trust statement has no StringEquals condition on the token's aud`,
		}},
		{"gantry_apply_subject_in_plan_role", []string{
			`role "plan" trusts gantry's subject "repo:classla/classla:project:staging:phase:apply", which is the apply phase's: the plan role may trust only subjects ending in ":phase:plan"`,
		}},
		{"gantry_project_subject_in_frontend_role", []string{
			`role "frontend" trusts gantry's subject "repo:classla/classla:project:production:phase:deploy": gantry signs :phase:deploy subjects for a service (repo:OWNER/REPO:service:NAME:phase:deploy), never a project`,
			`role "frontend" trusts gantry's subject "repo:classla/classla:project:production:phase:apply", which is the apply phase's: the frontend role may trust only subjects ending in ":phase:deploy"`,
		}},
		{"gantry_project_subject_in_deploy_role", []string{
			`role "deploy" trusts gantry's subject "repo:classla/classla:project:production:phase:deploy": gantry signs :phase:deploy subjects for a service (repo:OWNER/REPO:service:NAME:phase:deploy), never a project`,
			`role "ops" trusts gantry's subject "repo:classla/classla:service:backend:phase:rollback", but its label names none of the phases plan, apply and deploy`,
		}},
		{"gantry_condition_prefix_mismatch", []string{
			`data.aws_iam_policy_document.plan: the condition on token.actions.githubusercontent.com:sub pins a claim of token.actions.githubusercontent.com's tokens, but the statement trusts the provider gantry.example.org`,
			`data.aws_iam_policy_document.apply: the condition on https://gantry.example.org:aud pins a claim of https://gantry.example.org's tokens, but the statement trusts the provider gantry.example.org, whose claims IAM names gantry.example.org:aud and gantry.example.org:sub`,
		}},
		{"gantry_provider_unguarded", []string{
			`nothing in role "apply"'s policies denies iam:UpdateOpenIDConnectProviderThumbprint on oidc-provider/gantry.example.org`,
			`nothing in role "apply"'s permissions boundary denies iam:DeleteOpenIDConnectProvider on oidc-provider/gantry.example.org`,
		}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.fixture, "_", " "), func(t *testing.T) {
			t.Parallel()
			got := scopeOf(t, filepath.Join("testdata", "iam", tt.fixture)).IAMProblems()
			joined := strings.Join(got, "\n")
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("the problems do not include %q; they are:\n%s", w, joined)
				}
			}
		})
	}
}

// Every fixture directory is used by a table above: a fixture nobody checks proves nothing.
func TestEveryIAMFixtureIsChecked(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join("testdata", "iam"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("iam_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.Contains(string(src), `{"`+e.Name()+`"`) {
			t.Errorf("testdata/iam/%s is not in TestTheIAMChecksCatchEachBadFixture", e.Name())
		}
	}
}

// The real roles keep every rule, in the module alone (its variables unknown) and as each
// environment calls it.
func TestTheRepositorysRolesKeepEveryRule(t *testing.T) {
	t.Parallel()
	module := filepath.Join("..", "..", "terraform", "modules", "github_oidc")
	for _, p := range scopeOf(t, module).IAMProblems() {
		t.Errorf("github_oidc: %s", p)
	}
	for _, p := range githubOIDCModule(t).Scope(frontendVars).IAMProblems() {
		t.Errorf("github_oidc with a frontend role: %s", p)
	}
	// Production releases the first user's Amplify frontend; staging has no frontend role.
	wantRoles := map[string]int{"staging": 3, "production": 4}
	for _, env := range []string{"staging", "production"} {
		s := instanceOf(t, filepath.Join("..", "..", "terraform", "envs", env), "github_oidc")
		if len(s.Roles()) != wantRoles[env] {
			t.Fatalf("envs/%s: github_oidc has %d roles, want %d (plan, apply, deploy; production also frontend)", env, len(s.Roles()), wantRoles[env])
		}
		for _, p := range s.IAMProblems() {
			t.Errorf("envs/%s: %s", env, p)
		}
	}
}

// Each phase's role trusts exactly its own environment (SPEC §7: gantry-plan, the project, the
// service), and the plan role also pull_request.
func TestEachRoleTrustsItsPhasesEnvironment(t *testing.T) {
	t.Parallel()
	s := instanceOf(t, filepath.Join("..", "..", "terraform", "envs", "production"), "github_oidc")
	repo := "repo:${var.github_repository}:"
	want := map[string][]string{
		"plan":     {repo + "environment:gantry-plan", repo + "pull_request"},
		"apply":    {repo + "environment:production"},
		"deploy":   {repo + "environment:backend"},
		"frontend": {repo + "environment:frontend"},
	}
	if len(s.Roles()) != len(want) {
		t.Errorf("envs/production's github_oidc has %d roles, want %d", len(s.Roles()), len(want))
	}
	for _, r := range s.Roles() {
		if got := strings.Join(r.Subjects(), " "); got != strings.Join(want[r.Label], " ") {
			t.Errorf("role %s trusts %q, want %q", r.Label, got, want[r.Label])
		}
	}
}

// Across the environments only the plan roles share subjects (gantry-plan is one environment
// for every project); an apply or deploy subject belongs to one role.
func TestNoApplyOrDeploySubjectIsSharedAcrossEnvironments(t *testing.T) {
	t.Parallel()
	var instances []Instance
	for _, env := range []string{"staging", "production"} {
		instances = append(instances, Instance{env, instanceOf(t, filepath.Join("..", "..", "terraform", "envs", env), "github_oidc")})
	}
	for _, p := range SharedSubjects(instances) {
		t.Error(p)
	}
}

func TestTwoEnvironmentsNamedAlikeShareTheirApplySubject(t *testing.T) {
	t.Parallel()
	m, err := Load(filepath.Join("..", "..", "terraform", "modules", "github_oidc"))
	if err != nil {
		t.Fatal(err)
	}
	// A copy-pasted root that forgot to rename its environment.
	vars := map[string]cty.Value{"environment": cty.StringVal("production"), "service_name": cty.StringVal("backend")}
	got := SharedSubjects([]Instance{{"staging", m.Scope(vars)}, {"production", m.Scope(vars)}})
	joined := strings.Join(got, "\n")
	for _, w := range []string{"staging's apply role and production's apply role", "staging's deploy role and production's deploy role"} {
		if !strings.Contains(joined, w) {
			t.Errorf("the problems do not include %q; they are:\n%s", w, joined)
		}
	}
	if strings.Contains(joined, "plan role") {
		t.Errorf("plan roles may share gantry-plan, but:\n%s", joined)
	}
}

// The apply role may create only roles that carry the boundary, so every role of the stack's
// modules sets one. gantry's own roles are the administrator's (the guardrails deny the apply
// role any change to them), so the gantry module is not one of these.
func TestTheStacksRolesCarryTheBoundary(t *testing.T) {
	t.Parallel()
	modules, err := os.ReadDir(filepath.Join("..", "..", "terraform", "modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range modules {
		if !e.IsDir() || e.Name() == "gantry" {
			continue
		}
		m, err := Load(filepath.Join("..", "..", "terraform", "modules", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.RolesWithoutBoundary() {
			t.Error(p)
		}
	}
}

func TestTheBoundaryCheckCatchesARoleWithoutOne(t *testing.T) {
	t.Parallel()
	m, err := Load(filepath.Join("testdata", "roles_without_boundary"))
	if err != nil {
		t.Fatal(err)
	}
	got := m.RolesWithoutBoundary()
	if len(got) != 1 || !strings.Contains(got[0], `role "task" sets no permissions_boundary`) {
		t.Errorf("problems = %q, want one for the task role", got)
	}
}
