package tfcheck

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// EnvironmentProblems checks the module's github_repository_environment resources: each
// admits deployments from named branches only (protected branches, or custom branch policies
// whose patterns have no wildcard). GitHub creates an environment without that policy the
// first time any branch's workflow names it, and then any branch's workflow gets tokens with
// the environment's subject.
func (s *Scope) EnvironmentProblems() []string {
	var p problems
	for _, b := range s.Module.blocks("resource", "github_repository_environment") {
		label := b.Labels[1]
		policies := s.expand(b.Body, "deployment_branch_policy", nil)
		if len(policies) == 0 {
			p.add(b.DefRange(), "environment %q has no deployment_branch_policy: a workflow on any branch may run in it", label)
			continue
		}
		policy := policies[0].body
		protected := s.isTrue(policy, "protected_branches")
		custom := s.isTrue(policy, "custom_branch_policies")
		if !protected && !custom {
			p.add(policy.SrcRange, "environment %q's deployment_branch_policy admits no branch policy (protected_branches and custom_branch_policies both false)", label)
		}
		if !custom {
			continue
		}
		patterns := 0
		for _, d := range s.Module.blocks("resource", "github_repository_environment_deployment_policy") {
			if !refersTo(d.Body, "github_repository_environment", label) {
				continue
			}
			patterns++
			if a, ok := d.Body.Attributes["tag_pattern"]; ok {
				p.add(a.SrcRange, "environment %q admits tags (%s): gantry dispatches on the default branch only", label, s.String(a.Expr, nil))
			}
			if a, ok := d.Body.Attributes["branch_pattern"]; ok {
				if pattern := s.String(a.Expr, nil); anyWildcard([]string{pattern}) {
					p.add(a.SrcRange, "environment %q admits every branch matching %q: name the default branch", label, pattern)
				}
			}
		}
		if patterns == 0 {
			p.add(b.DefRange(), "environment %q has custom branch policies but no github_repository_environment_deployment_policy names a branch for it", label)
		}
	}
	sort.Strings(p)
	return p
}

// isTrue reports whether body's attribute name is the literal (or evaluated) true.
func (s *Scope) isTrue(body *hclsyntax.Body, name string) bool {
	a, ok := body.Attributes[name]
	if !ok {
		return false
	}
	v := s.Eval(a.Expr, nil)
	return v.IsKnown() && !v.IsNull() && v.Type() == cty.Bool && v.True()
}

// refersTo reports whether an attribute of body refers to the resource typ.name.
func refersTo(body *hclsyntax.Body, typ, name string) bool {
	for _, a := range body.Attributes {
		if n, ok := resourceRef(a.Expr, typ); ok && n == name {
			return true
		}
	}
	return false
}

// EnvironmentNames are the names of the module's github_repository_environment instances.
func (s *Scope) EnvironmentNames() []string {
	var out []string
	for _, b := range s.Module.blocks("resource", "github_repository_environment") {
		if fe, ok := b.Body.Attributes["for_each"]; ok {
			for k := range s.instances(fe.Expr) {
				out = append(out, k)
			}
			continue
		}
		if a, ok := b.Body.Attributes["environment"]; ok {
			out = append(out, s.String(a.Expr, nil))
		}
	}
	sort.Strings(out)
	return out
}

// TrustedEnvironments are the GitHub environments the roles' trust policies name
// (repo:OWNER/REPO:environment:NAME).
func (s *Scope) TrustedEnvironments() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.Roles() {
		for _, sub := range r.Subjects() {
			if i := strings.LastIndex(sub, ":environment:"); i >= 0 {
				if name := sub[i+len(":environment:"):]; !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
