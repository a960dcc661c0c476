package tfcheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// IAM's limits on policy sizes (whitespace not counted): all inline policies of a role
// together, one managed policy, a role's trust policy (the default quota).
const (
	InlineLimit  = 10240
	ManagedLimit = 6144
	TrustLimit   = 2048
)

// problems collects messages prefixed with where they apply.
type problems []string

func (p *problems) add(r hcl.Range, format string, a ...any) {
	*p = append(*p, fmt.Sprintf("%s: %s", r, fmt.Sprintf(format, a...)))
}

// IAMProblems checks the module's policy documents and roles against gantry's
// least-privilege rules (SPEC §10, docs/infrastructure.md):
//
//   - a web identity trust pins the token's aud and sub with StringEquals, without wildcards,
//     and the repository variable it is built from refuses wildcards;
//   - its conditions name the claims of the provider it trusts (HOST[/PATH]:sub), where the
//     module tells both;
//   - no two roles trust the same subject;
//   - a role trusts only its own phase's subjects of gantry's tokens (the plan role
//     ...:phase:plan, the apply role ...:phase:apply, the deploy role ...:phase:deploy);
//   - a role may create a role or user, or set a boundary, only with an iam:PermissionsBoundary
//     condition, and has a boundary itself;
//   - iam:PassRole names its roles and carries an iam:PassedToService condition;
//   - the plan role reads, and writes nothing but the state lock;
//   - a role that may change IAM has a boundary, and its policies and its boundary deny changes
//     to every role, policy and OIDC provider of the module or of its roles' trust (gantry's
//     own identity);
//   - the boundary allows every action the roles' policies grant;
//   - every policy fits IAM's size limits.
func (s *Scope) IAMProblems() []string {
	var p problems
	for _, d := range s.Documents() {
		p.trust(d)
		p.conditionPrefixes(s, d)
	}
	if s.hasWebIdentityTrust() {
		p.repositoryValidation(s)
	}
	roles := s.Roles()
	p.sharedSubjects(roles)
	for _, r := range roles {
		p.gantryPhases(r)
		for _, d := range r.Policies() {
			for _, st := range d.Statements {
				p.boundaryCondition(r, st)
				p.passRole(st)
			}
		}
		if r.Label == "plan" {
			p.readOnly(r)
		}
		if r.mayChangeIAM() {
			p.guarded(s, r, roles)
		}
		p.boundaryCovers(r)
		p.sizes(r)
	}
	sort.Strings(p)
	return p
}

func (s *Scope) hasWebIdentityTrust() bool {
	for _, d := range s.Documents() {
		for _, st := range d.Statements {
			if st.Allows("sts:AssumeRoleWithWebIdentity") {
				return true
			}
		}
	}
	return false
}

// trust: every web identity statement has StringEquals conditions on aud and sub, and
// no condition is looser.
func (p *problems) trust(d *Document) {
	for _, st := range d.Statements {
		if !st.Allows("sts:AssumeRoleWithWebIdentity") {
			continue
		}
		pinned := map[string]bool{}
		for _, c := range st.Conditions {
			if c.Test != "StringEquals" {
				p.add(st.Range, "%s: condition on %s uses %s; trust conditions must be StringEquals", d.Address, c.Variable, c.Test)
			}
			for _, v := range c.Values {
				if strings.ContainsAny(v, "*?") {
					p.add(st.Range, "%s: condition on %s has a wildcard value %q", d.Address, c.Variable, v)
				}
			}
			for _, claim := range []string{"aud", "sub"} {
				if strings.HasSuffix(c.Variable, ":"+claim) && c.Test == "StringEquals" && len(c.Values) > 0 {
					pinned[claim] = true
				}
			}
		}
		for _, claim := range []string{"aud", "sub"} {
			if !pinned[claim] {
				p.add(st.Range, "%s: the trust statement has no StringEquals condition on the token's %s", d.Address, claim)
			}
		}
	}
}

// repositoryValidation: the subjects are built from the repository, which must refuse wildcards.
func (p *problems) repositoryValidation(s *Scope) {
	for _, b := range s.Module.blocks("variable", "github_repository") {
		validated := false
		for _, v := range b.Body.Blocks {
			validated = validated || v.Type == "validation"
		}
		if !validated {
			p.add(b.DefRange(), `variable "github_repository" must have a validation refusing wildcards`)
		}
	}
}

// Subjects are the sub values a role's trust accepts.
func (r *Role) Subjects() []string {
	if r.Trust == nil {
		return nil
	}
	var out []string
	for _, st := range r.Trust.Statements {
		if !st.Allows("sts:AssumeRoleWithWebIdentity") {
			continue
		}
		for _, c := range st.Conditions {
			if strings.HasSuffix(c.Variable, ":sub") {
				out = append(out, c.Values...)
			}
		}
	}
	return out
}

// sharedSubjects: a subject trusted by two roles gives one phase's token the other's role.
func (p *problems) sharedSubjects(roles []*Role) {
	owner := map[string]*Role{}
	for _, r := range roles {
		for _, sub := range r.Subjects() {
			if o, ok := owner[sub]; ok && o != r {
				p.add(r.Range, "roles %q and %q both trust the subject %q: a token meant for one would assume the other", o.Label, r.Label, sub)
				continue
			}
			owner[sub] = r
		}
	}
}

// An Instance is one module instance's roles, named for messages (envs/production's github_oidc).
type Instance struct {
	Name  string
	Scope *Scope
}

// SharedSubjects checks subjects across instances of the roles module (the environments):
// only plan roles may share one (SPEC §7 runs every plan of pull-request code in the one
// gantry-plan environment); an apply or deploy role's subject is its alone.
func SharedSubjects(instances []Instance) []string {
	type holder struct{ instance, label string }
	owners := map[string][]holder{}
	for _, in := range instances {
		for _, r := range in.Scope.Roles() {
			for _, sub := range r.Subjects() {
				owners[sub] = append(owners[sub], holder{in.Name, r.Label})
			}
		}
	}
	var p []string
	for sub, hs := range owners {
		for i := 1; i < len(hs); i++ {
			a, b := hs[0], hs[i]
			if a == b || (a.label == "plan" && b.label == "plan") {
				continue
			}
			p = append(p, fmt.Sprintf("the subject %q is trusted by %s's %s role and %s's %s role", sub, a.instance, a.label, b.instance, b.label))
		}
	}
	sort.Strings(p)
	return p
}

// createsPrincipals are the calls that make a principal or set its boundary.
var createsPrincipals = []string{"iam:CreateRole", "iam:CreateUser", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"}

// boundaryCondition: a role or user the role creates must carry the boundary.
func (p *problems) boundaryCondition(r *Role, st Statement) {
	for _, a := range createsPrincipals {
		if !st.Allows(a) {
			continue
		}
		c, ok := st.Condition("iam:PermissionsBoundary")
		if !ok || (c.Test != "StringEquals" && c.Test != "ArnEquals") || len(c.Values) == 0 || anyWildcard(c.Values) {
			p.add(st.Range, "role %q: statement %q allows %s without requiring the permissions boundary (StringEquals on iam:PermissionsBoundary): what it creates could do anything", r.Label, st.Sid, a)
		}
		if !r.Bounded {
			p.add(r.Range, "role %q may call %s but has no permissions boundary itself", r.Label, a)
		}
	}
}

// passRole: a role is passed only to the service named, and only roles named one by one.
func (p *problems) passRole(st Statement) {
	if !st.Allows("iam:PassRole") {
		return
	}
	c, ok := st.Condition("iam:PassedToService")
	if !ok || c.Test != "StringEquals" || len(c.Values) == 0 || anyWildcard(c.Values) {
		p.add(st.Range, "statement %q allows iam:PassRole without an iam:PassedToService condition (StringEquals, no wildcard): the role could be handed to any service", st.Sid)
	}
	if anyWildcard(st.Resources) || len(st.NotResources) > 0 {
		p.add(st.Range, "statement %q allows iam:PassRole on %q: name the roles one by one", st.Sid, st.Resources)
	}
}

// readVerbs start the names of actions that only read.
var readVerbs = []string{"Describe", "Get", "List", "BatchGet"}

// neverRead are reads a plan role must not have: they are the secrets themselves.
var neverRead = map[string]bool{"secretsmanager:getsecretvalue": true, "ssm:getparameter": true, "ssm:getparameters": true, "ssm:getparametersbypath": true}

// readOnly: the plan role runs pull requests' code, so it reads, and takes the state lock.
func (p *problems) readOnly(r *Role) {
	for _, d := range r.Policies() {
		for _, st := range d.Statements {
			if st.Effect != "Allow" {
				continue
			}
			if len(st.NotActions) > 0 {
				p.add(st.Range, "the plan role's statement %q uses NotAction: name each read", st.Sid)
			}
			for _, a := range st.Actions {
				p.planAction(st, a)
			}
		}
	}
}

func (p *problems) planAction(st Statement, action string) {
	service, verb, _ := strings.Cut(action, ":")
	lower := strings.ToLower(action)
	switch {
	case strings.ContainsAny(action, "*?"):
		p.add(st.Range, "the plan role's statement %q grants %s: a wildcard may include writes; name each read", st.Sid, action)
	case neverRead[lower]:
		p.add(st.Range, "the plan role's statement %q grants %s: a plan of pull-request code must not read secret values", st.Sid, action)
	case hasAnyPrefix(verb, readVerbs):
	case lower == "kms:decrypt" || lower == "kms:generatedatakey":
		// Reading the encrypted state, and writing the encrypted .tflock object.
	case lower == "s3:putobject" || lower == "s3:deleteobject":
		for _, res := range st.Resources {
			if !strings.HasSuffix(res, ".tflock") {
				p.add(st.Range, "the plan role's statement %q allows %s on %q: a plan writes no object but the state's .tflock lock", st.Sid, action, res)
			}
		}
	case service == "dynamodb" && (verb == "PutItem" || verb == "DeleteItem" || verb == "UpdateItem"):
		c, ok := st.Condition("dynamodb:LeadingKeys")
		if !ok || !strings.HasSuffix(c.Test, "StringEquals") || len(c.Values) == 0 {
			p.add(st.Range, "the plan role's statement %q allows %s on any item: limit it to the lock item with a dynamodb:LeadingKeys condition", st.Sid, action)
			return
		}
		for _, v := range c.Values {
			if strings.HasSuffix(v, "-md5") || anyWildcard([]string{v}) {
				p.add(st.Range, "the plan role's statement %q allows %s on %q: a plan takes the lock, it never writes the state's digest", st.Sid, action, v)
			}
		}
	default:
		p.add(st.Range, "the plan role's statement %q grants %s, which is not a read: the plan role runs pull requests' code", st.Sid, action)
	}
}

// changesIAM are calls with which a role could raise its own or another's rights.
var changesIAM = []string{"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy", "iam:CreateRole"}

func (r *Role) mayChangeIAM() bool {
	for _, d := range r.Policies() {
		for _, st := range d.Statements {
			for _, a := range changesIAM {
				if st.Allows(a) {
					return true
				}
			}
		}
	}
	return false
}

// protectedTarget is one resource of the module's own identity and the calls that change it.
type protectedTarget struct {
	suffix  string // role/NAME, policy/NAME, oidc-provider/HOST (or oidc-provider/: any)
	actions []string
}

// guarded: a role that may change IAM must not be able to change the module's own roles,
// their policies or the OIDC providers, in its policies and in its boundary alike.
func (p *problems) guarded(s *Scope, r *Role, roles []*Role) {
	if !r.Bounded {
		p.add(r.Range, "role %q may change IAM but has no permissions boundary", r.Label)
	}
	var targets []protectedTarget
	for _, o := range roles {
		targets = append(targets, protectedTarget{"role/" + o.Name, []string{"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePermissionsBoundary", "iam:PassRole"}})
	}
	for _, name := range s.ManagedPolicyNames() {
		targets = append(targets, protectedTarget{"policy/" + name, []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"}})
	}
	for _, suffix := range s.providerSuffixes(roles) {
		targets = append(targets, protectedTarget{suffix, []string{"iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"}})
	}
	check := func(where string, docs []*Document) {
		for _, t := range targets {
			for _, a := range t.actions {
				if !denied(docs, a, t.suffix) {
					p.add(r.Range, "nothing in role %q's %s denies %s on %s: the role could change gantry's own identity", r.Label, where, a, t.suffix)
				}
			}
		}
	}
	check("policies", r.Policies())
	if r.Boundary != nil {
		check("permissions boundary", []*Document{r.Boundary})
	}
}

// denied reports whether a Deny statement of docs refuses action on the resource ending in suffix.
func denied(docs []*Document, action, suffix string) bool {
	target := "arn:aws:iam::111111111111:" + suffix
	for _, d := range docs {
		for _, st := range d.Statements {
			if !st.Denies(action) {
				continue
			}
			for _, res := range st.Resources {
				if res == "*" || strings.HasSuffix(res, ":"+suffix) || (strings.HasSuffix(suffix, "/") && strings.Contains(res, ":"+suffix)) || glob(strings.ToLower(res), strings.ToLower(target)) {
					return true
				}
			}
		}
	}
	return false
}

// boundaryCovers: an action the role's policies grant but its boundary does not allow is
// refused at run time; the apply would fail half-way.
func (p *problems) boundaryCovers(r *Role) {
	if r.Boundary == nil {
		return
	}
	for _, d := range r.Policies() {
		for _, st := range d.Statements {
			if st.Effect != "Allow" {
				continue
			}
			for _, a := range st.Actions {
				if !allowedBy(r.Boundary, a) {
					p.add(st.Range, "role %q's statement %q grants %s, which its permissions boundary does not allow", r.Label, st.Sid, a)
				}
			}
		}
	}
}

func allowedBy(d *Document, action string) bool {
	for _, st := range d.Statements {
		if st.Allows(action) {
			return true
		}
	}
	return false
}

// sizes: IAM refuses a policy over its limit when the role is created or changed.
func (p *problems) sizes(r *Role) {
	inline := 0
	for _, d := range r.Inline {
		inline += d.Size()
	}
	if inline > InlineLimit {
		p.add(r.Range, "role %q's inline policies come to about %d characters; IAM allows %d", r.Label, inline, InlineLimit)
	}
	for _, d := range append(r.Managed, r.Boundary) {
		if d != nil && d.Size() > ManagedLimit {
			p.add(r.Range, "role %q's managed policy %s comes to about %d characters; IAM allows %d", r.Label, d.Address, d.Size(), ManagedLimit)
		}
	}
	if r.Trust != nil && r.Trust.Size() > TrustLimit {
		p.add(r.Range, "role %q's trust policy comes to about %d characters; IAM allows %d", r.Label, r.Trust.Size(), TrustLimit)
	}
}

// placeholder matches what Scope could not know; an ARN is about 64 characters.
var placeholder = regexp.MustCompile(`\$\{[^}]*\}`)

// Size estimates the document's size as IAM counts it (JSON without whitespace), each value
// the module could not know counted as a 64-character ARN.
func (d *Document) Size() int {
	type stmt struct {
		Sid         string         `json:"Sid,omitempty"`
		Effect      string         `json:"Effect"`
		Action      any            `json:"Action,omitempty"`
		NotAction   any            `json:"NotAction,omitempty"`
		Resource    any            `json:"Resource,omitempty"`
		NotResource any            `json:"NotResource,omitempty"`
		Principal   any            `json:"Principal,omitempty"`
		Condition   map[string]any `json:"Condition,omitempty"`
	}
	one := func(l []string) any {
		switch len(l) {
		case 0:
			return nil
		case 1:
			return l[0]
		}
		return l
	}
	doc := struct {
		Version   string
		Statement []stmt
	}{Version: "2012-10-17"}
	for _, st := range d.Statements {
		s := stmt{Sid: st.Sid, Effect: st.Effect, Action: one(st.Actions), NotAction: one(st.NotActions),
			Resource: one(st.Resources), NotResource: one(st.NotResources)}
		if len(st.Principals) > 0 {
			s.Principal = map[string]any{"Federated": one(st.Principals)}
		}
		for _, c := range st.Conditions {
			if s.Condition == nil {
				s.Condition = map[string]any{}
			}
			m, _ := s.Condition[c.Test].(map[string]any)
			if m == nil {
				m = map[string]any{}
				s.Condition[c.Test] = m
			}
			m[c.Variable] = one(c.Values)
		}
		doc.Statement = append(doc.Statement, s)
	}
	b, _ := json.Marshal(doc)
	return len(placeholder.ReplaceAllString(string(b), strings.Repeat("x", 64)))
}

// RolesWithoutBoundary lists the module's roles that set no permissions boundary: the apply
// role creates only roles that carry it.
func (m *Module) RolesWithoutBoundary() []string {
	var p problems
	for _, b := range m.blocks("resource", "aws_iam_role") {
		if _, ok := b.Body.Attributes["permissions_boundary"]; !ok {
			p.add(b.DefRange(), "role %q sets no permissions_boundary: the apply role may only create roles that carry the boundary", b.Labels[1])
		}
	}
	return p
}

func anyWildcard(values []string) bool {
	for _, v := range values {
		if strings.ContainsAny(placeholder.ReplaceAllString(v, ""), "*?") {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
