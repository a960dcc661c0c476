package tfcheck

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// gantry's own service is configured as SPEC §2 and §10 say: the executor, the public URL, the
// allow-list of this stack's roles, the sandbox user.
func TestGantrysServiceIsConfiguredAsTheSpecSays(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"staging", "production"} {
		s := instanceOf(t, filepath.Join("..", "..", "terraform", "envs", env), "gantry")
		environment := s.Local("environment")
		if !environment.Type().IsObjectType() && !environment.Type().IsMapType() {
			t.Fatalf("envs/%s: gantry's container environment could not be evaluated: %#v", env, environment)
		}
		get := func(name string) string {
			var v cty.Value
			switch {
			case environment.Type().IsObjectType() && environment.Type().HasAttribute(name):
				v = environment.GetAttr(name)
			case environment.Type().IsMapType() && environment.HasIndex(cty.StringVal(name)).True():
				v = environment.Index(cty.StringVal(name))
			default:
				return ""
			}
			if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
				return ""
			}
			return v.AsString()
		}
		want := map[string]string{
			"GANTRY_EXECUTOR":     "actions",
			"GANTRY_SANDBOX_USER": "gantry-run",
			"GANTRY_PUBLIC_URL":   "https://gantry.",
		}
		for name, prefix := range want {
			if got := get(name); !strings.HasPrefix(got, prefix) {
				t.Errorf("envs/%s: %s = %q, want %q…", env, name, got, prefix)
			}
		}
		allowlist := get("GANTRY_ROLE_ALLOWLIST")
		for _, role := range []string{"plan_role_arn", "apply_role_arn", "deploy_role_arn"} {
			if !strings.Contains(allowlist, "${var.github_repository}=${module.github_oidc."+role+"}") {
				t.Errorf("envs/%s: GANTRY_ROLE_ALLOWLIST %q does not allow the stack's %s", env, allowlist, role)
			}
		}
	}
}

// gantry's task has no role: the old one could sts:AssumeRole roles whose trust accepts only
// web identity, which never worked, and a task role would only be credentials for a pull
// request's plan to find.
func TestGantrysTaskHasNoRoleToAssumeOthersWith(t *testing.T) {
	t.Parallel()
	m, err := Load(filepath.Join("..", "..", "terraform", "modules", "gantry"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.blocks("resource", "aws_ecs_task_definition") {
		if a, ok := b.Body.Attributes["task_role_arn"]; ok {
			t.Errorf("%s: gantry's task definition sets a task role", a.SrcRange)
		}
	}
	for _, d := range m.Scope(nil).Documents() {
		for _, st := range d.Statements {
			if st.Allows("sts:AssumeRole") && !strings.Contains(strings.Join(st.Principals, " "), "amazonaws.com") {
				t.Errorf("%s: %s lets gantry's task assume roles", st.Range, d.Address)
			}
		}
	}
}

// The local executor on ECS has no AWS identity but the one gantry signs per job: the module
// refuses local without workload identity.
func TestGantrysLocalExecutorNeedsWorkloadIdentity(t *testing.T) {
	t.Parallel()
	m, err := Load(filepath.Join("..", "..", "terraform", "modules", "gantry"))
	if err != nil {
		t.Fatal(err)
	}
	holds := func(vars map[string]cty.Value) bool {
		s := m.Scope(vars)
		for _, b := range m.blocks("resource") {
			for _, lc := range b.Body.Blocks {
				if lc.Type != "lifecycle" {
					continue
				}
				for _, pre := range lc.Body.Blocks {
					if pre.Type != "precondition" {
						continue
					}
					if v := s.Eval(pre.Body.Attributes["condition"].Expr, nil); v.Type() == cty.Bool && v.IsKnown() && v.False() {
						return false
					}
				}
			}
		}
		return true
	}
	tests := []struct {
		executor string
		identity bool
		want     bool
	}{
		{"actions", false, true},
		{"local", true, true},
		{"local", false, false},
	}
	for _, tt := range tests {
		vars := map[string]cty.Value{"executor": cty.StringVal(tt.executor), "workload_identity": cty.BoolVal(tt.identity)}
		if got := holds(vars); got != tt.want {
			t.Errorf("executor %s, workload identity %v: the preconditions hold = %v, want %v", tt.executor, tt.identity, got, tt.want)
		}
	}
}
