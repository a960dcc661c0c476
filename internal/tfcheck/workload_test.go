package tfcheck

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// gantry as its own OIDC issuer (SPEC §10, "Workload identity"): the roles of github_oidc also
// trust the tokens gantry signs, each for its own phase's subjects.

// gantryVars give the module alone a gantry issuer and two projects.
var gantryVars = map[string]cty.Value{
	"environment":            cty.StringVal("production"),
	"gantry_issuer_url":      cty.StringVal("https://gantry.example.org"),
	"gantry_thumbprint_list": cty.ListVal([]cty.Value{cty.StringVal("0123456789abcdef0123456789abcdef01234567")}),
	"gantry_projects":        cty.ListVal([]cty.Value{cty.StringVal("production"), cty.StringVal("production-dns")}),
}

// localExecutor is what an operator's terraform.tfvars sets to run jobs in gantry's task.
var localExecutor = map[string]cty.Value{"gantry_executor": cty.StringVal("local")}

func githubOIDCModule(t *testing.T) *Module {
	t.Helper()
	m, err := Load(filepath.Join("..", "..", "terraform", "modules", "github_oidc"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func envInstance(t *testing.T, env, call string, vars map[string]cty.Value) *Scope {
	t.Helper()
	m, err := Load(filepath.Join("..", "..", "terraform", "envs", env))
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.InstanceWith(call, vars)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gantryStatement is the role's trust statement of gantry's tokens (sid GantryOIDC).
func gantryStatement(t *testing.T, r *Role) Statement {
	t.Helper()
	if r.Trust == nil {
		t.Fatalf("role %s has no trust policy", r.Label)
	}
	for _, st := range r.Trust.Statements {
		if st.Sid == "GantryOIDC" {
			return st
		}
	}
	t.Fatalf("role %s does not trust gantry's tokens", r.Label)
	return Statement{}
}

func TestGantryOIDCTrustPoliciesPinAudienceAndSubject(t *testing.T) {
	t.Parallel()
	s := githubOIDCModule(t).Scope(gantryVars)
	for _, r := range s.Roles() {
		st := gantryStatement(t, r)
		aud, ok1 := st.Condition("gantry.example.org:aud")
		sub, ok2 := st.Condition("gantry.example.org:sub")
		if !ok1 || !ok2 || aud.Test != "StringEquals" || sub.Test != "StringEquals" ||
			strings.Join(aud.Values, " ") != "sts.amazonaws.com" || len(sub.Values) == 0 {
			t.Errorf("role %s: gantry's trust is %+v, want StringEquals on gantry.example.org:aud = sts.amazonaws.com and on :sub", r.Label, st.Conditions)
		}
		if got := strings.Join(st.Principals, " "); got != "${aws_iam_openid_connect_provider.gantry[0].arn}" {
			t.Errorf("role %s trusts gantry's tokens of %q, want the gantry provider the module creates", r.Label, got)
		}
	}
	for _, p := range s.IAMProblems() {
		t.Error(p)
	}
}

// Each role trusts exactly its phase's subjects of every project (plan, apply) or service
// (deploy) it is for; the plan role also keeps its GitHub subjects.
func TestEachRoleTrustsOnlyItsPhasesGantrySubjects(t *testing.T) {
	t.Parallel()
	repo := "repo:${var.github_repository}:"
	tests := []struct {
		name, host string
		s          *Scope
		want       map[string][]string
	}{
		{"the module with two projects", "gantry.example.org", githubOIDCModule(t).Scope(gantryVars), map[string][]string{
			"plan":   {repo + "project:production:phase:plan", repo + "project:production-dns:phase:plan"},
			"apply":  {repo + "project:production:phase:apply", repo + "project:production-dns:phase:apply"},
			"deploy": {repo + "service:backend:phase:deploy"},
		}},
		{"the module with a frontend", "gantry.example.org", githubOIDCModule(t).Scope(withGantry(frontendVars)), map[string][]string{
			"plan":     {repo + "project:production:phase:plan", repo + "project:production-dns:phase:plan"},
			"apply":    {repo + "project:production:phase:apply", repo + "project:production-dns:phase:apply"},
			"deploy":   {repo + "service:backend:phase:deploy"},
			"frontend": {repo + "service:web:phase:deploy"},
		}},
		{"envs/production with the local executor", "gantry.classla.org", envInstance(t, "production", "github_oidc", localExecutor), map[string][]string{
			"plan":     {repo + "project:production:phase:plan"},
			"apply":    {repo + "project:production:phase:apply"},
			"deploy":   {repo + "service:backend:phase:deploy"},
			"frontend": {repo + "service:frontend:phase:deploy"},
		}},
		{"envs/staging with the local executor", "gantry.staging.classla.org", envInstance(t, "staging", "github_oidc", localExecutor), map[string][]string{
			"plan":   {repo + "project:staging:phase:plan"},
			"apply":  {repo + "project:staging:phase:apply"},
			"deploy": {repo + "service:backend-staging:phase:deploy"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			roles := tt.s.Roles()
			if len(roles) != len(tt.want) {
				t.Fatalf("%d roles, want %d", len(roles), len(tt.want))
			}
			for _, r := range roles {
				if got, want := strings.Join(r.GantrySubjects(), " "), strings.Join(tt.want[r.Label], " "); got != want {
					t.Errorf("role %s trusts gantry's subjects %q, want %q", r.Label, got, want)
				}
				sub, _ := gantryStatement(t, r).Condition(tt.host + ":sub")
				if strings.Join(sub.Values, " ") != strings.Join(tt.want[r.Label], " ") {
					t.Errorf("role %s: gantry's statement pins sub to %q, want %q", r.Label, sub.Values, tt.want[r.Label])
				}
			}
			for _, p := range tt.s.IAMProblems() {
				t.Error(p)
			}
		})
	}
}

// The attack: a pull request's plan gets a token with ...:phase:plan (gantry sets the phase from
// the job's kind, not from anything in the pull request). Only the plan role accepts it.
func TestAPullRequestsPlanTokenCannotAssumeTheApplyOrDeployRole(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "production"} {
		s := envInstance(t, env, "github_oidc", localExecutor)
		planToken := "repo:${var.github_repository}:project:" + env + ":phase:plan"
		for _, r := range s.Roles() {
			trusts := false
			for _, sub := range r.Subjects() {
				trusts = trusts || sub == planToken
				if r.Label != "plan" && strings.HasSuffix(sub, ":phase:plan") {
					t.Errorf("envs/%s: the %s role trusts the plan subject %q", env, r.Label, sub)
				}
			}
			if trusts != (r.Label == "plan") {
				t.Errorf("envs/%s: the %s role trusts a pull request's plan token: %v, want %v", env, r.Label, trusts, r.Label == "plan")
			}
		}
	}
}

// The roles trust the issuer gantry signs as: the condition keys' prefix is GANTRY_PUBLIC_URL
// without https://, and the module turns workload identity on for the local executor.
func TestTheRolesTrustTheIssuerGantrySignsAs(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "production"} {
		gantry := envInstance(t, env, "gantry", localExecutor)
		environment := gantry.Local("environment")
		get := func(name string) string {
			if !environment.Type().IsObjectType() || !environment.Type().HasAttribute(name) {
				return ""
			}
			return environment.GetAttr(name).AsString()
		}
		if got := get("GANTRY_WORKLOAD_IDENTITY"); got != "on" {
			t.Errorf("envs/%s with the local executor: GANTRY_WORKLOAD_IDENTITY = %q, want on", env, got)
		}
		issuer := get("GANTRY_PUBLIC_URL")
		if !strings.HasPrefix(issuer, "https://gantry.") || strings.HasSuffix(issuer, "/") {
			t.Fatalf("envs/%s: GANTRY_PUBLIC_URL = %q, want https://gantry.… without a trailing slash", env, issuer)
		}
		host := strings.TrimPrefix(issuer, "https://")
		for _, r := range envInstance(t, env, "github_oidc", localExecutor).Roles() {
			st := gantryStatement(t, r)
			for _, c := range st.Conditions {
				if !strings.HasPrefix(c.Variable, host+":") {
					t.Errorf("envs/%s: role %s's gantry condition is on %s, want %s:…", env, r.Label, c.Variable, host)
				}
			}
		}
	}
}

// With the Actions executor (the default) the runners bring GitHub's tokens: no role trusts
// gantry's issuer, and no provider for it is created.
func TestWithTheActionsExecutorNoRoleTrustsGantry(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "production"} {
		s := envInstance(t, env, "github_oidc", nil)
		for _, r := range s.Roles() {
			if subs := r.GantrySubjects(); len(subs) > 0 {
				t.Errorf("envs/%s: role %s trusts gantry's subjects %q with the Actions executor", env, r.Label, subs)
			}
		}
		if v := s.Local("gantry_trusted"); !v.IsKnown() || v.True() {
			t.Errorf("envs/%s: gantry_trusted = %#v with the Actions executor, want false", env, v)
		}
		environment := envInstance(t, env, "gantry", nil).Local("environment")
		if environment.Type().IsObjectType() && environment.Type().HasAttribute("GANTRY_WORKLOAD_IDENTITY") {
			t.Errorf("envs/%s: the Actions executor's gantry sets GANTRY_WORKLOAD_IDENTITY", env)
		}
	}
}

// staging's projects run in production's gantry: staging's roles trust that issuer through the
// provider production created (one per URL in an account), and keep every rule.
func TestAnEnvironmentTrustingAnotherGantrysProviderKeepsEveryRule(t *testing.T) {
	t.Parallel()
	s := envInstance(t, "staging", "github_oidc", map[string]cty.Value{
		"gantry_issuer_url":           cty.StringVal("https://gantry.classla.org"),
		"create_gantry_oidc_provider": cty.False,
		"gantry_oidc_provider_arn":    cty.StringVal("arn:aws:iam::111111111111:oidc-provider/gantry.classla.org"),
	})
	for _, r := range s.Roles() {
		st := gantryStatement(t, r)
		if got := strings.Join(st.Principals, " "); got != "arn:aws:iam::111111111111:oidc-provider/gantry.classla.org" {
			t.Errorf("role %s trusts %q, want production's gantry provider", r.Label, got)
		}
		if _, ok := st.Condition("gantry.classla.org:sub"); !ok {
			t.Errorf("role %s: gantry's conditions are %+v, want them on gantry.classla.org", r.Label, st.Conditions)
		}
	}
	for _, p := range s.IAMProblems() {
		t.Error(p)
	}
}

// Across the environments, no gantry subject is shared: each project's and service's subject
// of a phase belongs to one role.
func TestNoGantrySubjectIsSharedAcrossEnvironments(t *testing.T) {
	t.Parallel()
	var instances []Instance
	for _, env := range []string{"staging", "production"} {
		instances = append(instances, Instance{env, envInstance(t, env, "github_oidc", localExecutor)})
	}
	for _, p := range SharedSubjects(instances) {
		if strings.Contains(p, ":phase:") {
			t.Error(p)
		}
	}
}

// The module's guardrails protect gantry's provider as they protect GitHub's: without it in the
// list, the check reports the apply role and its boundary.
func TestTheGuardrailsProtectGantrysProvider(t *testing.T) {
	t.Parallel()
	s := githubOIDCModule(t).Scope(gantryVars)
	if got := strings.Join(s.providerSuffixes(s.Roles()), " "); !strings.Contains(got, "oidc-provider/gantry.example.org") {
		t.Fatalf("the providers to protect are %q, want gantry.example.org's among them", got)
	}
	for _, p := range s.IAMProblems() {
		t.Error(p)
	}
}
