package tfcheck

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// The frontend service on Amplify (SPEC §6, "The frontend on Amplify") has its own deploy role
// in github_oidc: it releases one branch of one app, and trusts only the frontend's subjects.

// frontendVars give the module alone a frontend role for the service web on the branch release.
var frontendVars = map[string]cty.Value{
	"environment":           cty.StringVal("production"),
	"amplify_app_id":        cty.StringVal("d1a2b3c4d5e6f7"),
	"amplify_branch":        cty.StringVal("release"),
	"frontend_service_name": cty.StringVal("web"),
}

// withGantry adds gantryVars (gantry's issuer, two projects) to vars.
func withGantry(vars map[string]cty.Value) map[string]cty.Value {
	out := maps.Clone(gantryVars)
	maps.Copy(out, vars)
	return out
}

func roleByLabel(t *testing.T, s *Scope, label string) *Role {
	t.Helper()
	for _, r := range s.Roles() {
		if r.Label == label {
			return r
		}
	}
	t.Fatalf("no %s role", label)
	return nil
}

func TestTheFrontendRoleReleasesOnlyItsAmplifyBranch(t *testing.T) {
	t.Parallel()
	s := githubOIDCModule(t).Scope(withGantry(frontendVars))
	r := roleByLabel(t, s, "frontend")
	if r.Name != "gantry-deploy-web" {
		t.Errorf("the frontend role is named %q, want gantry-deploy-web", r.Name)
	}
	if !r.Bounded || r.Boundary == nil {
		t.Error("the frontend role carries no permissions boundary")
	}
	for _, b := range s.Module.blocks("resource", "aws_iam_role", "frontend") {
		if a, ok := b.Body.Attributes["max_session_duration"]; !ok || s.String(a.Expr, nil) != "3600" {
			t.Error("the frontend role's max_session_duration is not 3600")
		}
	}

	if got, want := strings.Join(r.Subjects(), " "), "repo:${var.github_repository}:environment:web repo:${var.github_repository}:service:web:phase:deploy"; got != want {
		t.Errorf("the frontend role trusts %q, want %q", got, want)
	}

	branch := "arn:aws:amplify:us-east-1:111111111111:apps/d1a2b3c4d5e6f7/branches/release"
	var actions []string
	for _, d := range r.Policies() {
		for _, st := range d.Statements {
			if st.Effect != "Allow" || len(st.NotActions) > 0 || len(st.NotResources) > 0 {
				t.Errorf("the frontend role's statement %q is not a plain Allow: %+v", st.Sid, st)
			}
			if got, want := strings.Join(st.Resources, " "), branch+" "+branch+"/jobs/*"; got != want {
				t.Errorf("the frontend role's statement %q is on %q, want %q", st.Sid, got, want)
			}
			actions = append(actions, st.Actions...)
		}
	}
	slices.Sort(actions)
	if got, want := strings.Join(actions, " "), "amplify:GetJob amplify:ListJobs amplify:StartJob"; got != want {
		t.Errorf("the frontend role grants %q, want %q", got, want)
	}

	// The guardrails (the boundary and the apply role's policy) protect the frontend role as
	// they protect the others.
	apply := roleByLabel(t, s, "apply")
	for _, docs := range [][]*Document{{r.Boundary}, apply.Policies()} {
		for _, a := range []string{"iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"} {
			if !denied(docs, a, "role/gantry-deploy-web") {
				t.Errorf("nothing denies %s on the frontend role", a)
			}
		}
	}
	for _, p := range s.IAMProblems() {
		t.Error(p)
	}
}

// Without an Amplify app the module creates no frontend role, and no environment for it.
func TestWithoutAnAmplifyAppThereIsNoFrontendRole(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*Scope{
		"the module alone": githubOIDCModule(t).Scope(gantryVars),
		"envs/staging":     envInstance(t, "staging", "github_oidc", localExecutor),
	} {
		for _, r := range s.Roles() {
			if r.Label == "frontend" {
				t.Errorf("%s: a frontend role without amplify_app_id", name)
			}
		}
		if env := s.Local("environments"); env.Type().IsObjectType() && env.Type().HasAttribute("frontend") {
			t.Errorf("%s: the environments name a frontend environment without amplify_app_id", name)
		}
	}
}

// Production releases the first user's frontend: its gantry may assume the frontend role, whose
// subjects no other role of either environment trusts.
func TestProductionsGantryMayAssumeTheFrontendRole(t *testing.T) {
	t.Parallel()
	s := envInstance(t, "production", "gantry", nil)
	allowlist := s.Local("role_allowlist")
	if !allowlist.IsKnown() || allowlist.IsNull() || allowlist.Type() != cty.String ||
		!strings.Contains(allowlist.AsString(), "${var.github_repository}=${module.github_oidc.frontend_role_arn}") {
		t.Errorf("envs/production: GANTRY_ROLE_ALLOWLIST is %#v, want the frontend role in it", allowlist)
	}
	r := roleByLabel(t, envInstance(t, "production", "github_oidc", localExecutor), "frontend")
	if r.Name != "gantry-deploy-frontend" {
		t.Errorf("envs/production's frontend role is named %q, want gantry-deploy-frontend", r.Name)
	}
	var instances []Instance
	for _, env := range []string{"staging", "production"} {
		instances = append(instances, Instance{env, envInstance(t, env, "github_oidc", localExecutor)})
	}
	for _, p := range SharedSubjects(instances) {
		t.Error(p)
	}
}
