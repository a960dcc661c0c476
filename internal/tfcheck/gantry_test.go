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
// turns workload identity on for it (the "sets GANTRY_WORKLOAD_IDENTITY=on for local"),
// and refuses local when asked to turn it off.
func TestGantrysLocalExecutorNeedsWorkloadIdentity(t *testing.T) {
	t.Parallel()
	m, err := Load(filepath.Join("..", "..", "terraform", "modules", "gantry"))
	if err != nil {
		t.Fatal(err)
	}
	holds := func(s *Scope) bool {
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
	unset := cty.NullVal(cty.Bool)
	tests := []struct {
		executor string
		identity cty.Value
		holds    bool
		on       bool
	}{
		{"actions", unset, true, false},
		{"actions", cty.False, true, false},
		{"actions", cty.True, true, true},
		{"local", unset, true, true},
		{"local", cty.True, true, true},
		{"local", cty.False, false, false},
	}
	for _, tt := range tests {
		s := m.Scope(map[string]cty.Value{"executor": cty.StringVal(tt.executor), "workload_identity": tt.identity})
		if got := holds(s); got != tt.holds {
			t.Errorf("executor %s, workload_identity %#v: the preconditions hold = %v, want %v", tt.executor, tt.identity, got, tt.holds)
		}
		env := s.Local("environment")
		on := env.Type().IsObjectType() && env.Type().HasAttribute("GANTRY_WORKLOAD_IDENTITY") &&
			env.GetAttr("GANTRY_WORKLOAD_IDENTITY").AsString() == "on"
		if tt.holds && on != tt.on {
			t.Errorf("executor %s, workload_identity %#v: GANTRY_WORKLOAD_IDENTITY=on is %v, want %v", tt.executor, tt.identity, on, tt.on)
		}
	}
}

// AWS STS fetches /.well-known/openid-configuration and /.well-known/jwks.json from the internet
// to verify gantry's tokens: every listener rule that sends gantry's host name to its target
// group lets those paths through, and at least one does.
func TestGantrysIssuerDocumentsAreReachableThroughTheALB(t *testing.T) {
	t.Parallel()
	m, err := Load(filepath.Join("..", "..", "terraform", "modules", "gantry"))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Scope(nil)
	documents := []string{"/.well-known/openid-configuration", "/.well-known/jwks.json"}
	forwarding := 0
	for _, b := range m.blocks("resource", "aws_lb_listener_rule") {
		toGantry := false
		for _, a := range s.expand(b.Body, "action", nil) {
			if name, ok := resourceRef(a.body.Attributes["target_group_arn"].Expr, "aws_lb_target_group"); ok && name == "this" {
				toGantry = s.String(a.body.Attributes["type"].Expr, nil) == "forward"
			}
		}
		if !toGantry {
			continue
		}
		forwarding++
		for _, c := range s.expand(b.Body, "condition", nil) {
			for _, pp := range s.expand(c.body, "path_pattern", nil) {
				patterns := s.Strings(pp.body.Attributes["values"].Expr, nil)
				for _, doc := range documents {
					matched := false
					for _, pattern := range patterns {
						matched = matched || glob(pattern, doc) // ALB path patterns: * and ?, case-sensitive
					}
					if !matched {
						t.Errorf("%s: the rule forwards only %q to gantry: AWS STS could not fetch %s", b.DefRange(), patterns, doc)
					}
				}
			}
		}
	}
	if forwarding == 0 {
		t.Fatal("no listener rule of the gantry module forwards to its target group: the test would prove nothing")
	}
}
