package tfcheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A Document is one instance of a data "aws_iam_policy_document", its statements evaluated
// (those of its source_policy_documents first, overridden by its own of the same sid).
type Document struct {
	Address    string // data.aws_iam_policy_document.NAME or NAME["KEY"]
	Statements []Statement
}

// A Statement is one statement of a policy document.
type Statement struct {
	Sid, Effect             string
	Actions, NotActions     []string
	Resources, NotResources []string
	Principals              []string // identifiers of principals blocks
	Conditions              []Condition
	Range                   hcl.Range
}

// A Condition is one condition block of a statement.
type Condition struct {
	Test, Variable string
	Values         []string
}

// A Role is an aws_iam_role of the module, with the documents that make its rights.
type Role struct {
	Label    string // the resource's label: plan, apply, deploy, frontend
	Name     string // its name, evaluated
	Trust    *Document
	Inline   []*Document // aws_iam_role_policy documents
	Managed  []*Document // documents of the module's aws_iam_policy resources attached to it
	Boundary *Document   // the permissions boundary's document, when the module makes it
	// Bounded reports whether the role sets permissions_boundary at all.
	Bounded bool
	Range   hcl.Range
}

// Policies are the documents that grant the role its rights (not its trust or boundary).
func (r *Role) Policies() []*Document {
	return append(append([]*Document(nil), r.Inline...), r.Managed...)
}

// Documents returns every instance of every policy document of the module.
func (s *Scope) Documents() []*Document {
	var out []*Document
	for _, b := range s.Module.blocks("data", "aws_iam_policy_document") {
		keys := []string{""}
		if fe, ok := b.Body.Attributes["for_each"]; ok {
			keys = nil
			for k := range s.instances(fe.Expr) {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		}
		for _, k := range keys {
			if d := s.Document(b.Labels[1], k); d != nil {
				out = append(out, d)
			}
		}
	}
	return out
}

// instances evaluates a for_each expression to its keys and values.
func (s *Scope) instances(expr hcl.Expression) map[string]cty.Value {
	v := s.Eval(expr, nil)
	out := map[string]cty.Value{}
	if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
		return out
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if v.Type().IsSetType() {
			k = e
		}
		if k.Type() == cty.String && k.IsKnown() {
			out[k.AsString()] = e
		}
	}
	return out
}

// Document evaluates the instance key ("" without for_each) of the policy document name.
func (s *Scope) Document(name, key string) *Document {
	return s.document(name, key, map[string]bool{})
}

func (s *Scope) document(name, key string, seen map[string]bool) *Document {
	blocks := s.Module.blocks("data", "aws_iam_policy_document", name)
	if len(blocks) != 1 {
		return nil
	}
	b := blocks[0]
	address := "data.aws_iam_policy_document." + name
	var extra map[string]cty.Value
	if fe, ok := b.Body.Attributes["for_each"]; ok {
		v, ok := s.instances(fe.Expr)[key]
		if !ok {
			return nil
		}
		address += fmt.Sprintf("[%q]", key)
		extra = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": v})}
	}
	if seen[address] {
		return nil
	}
	seen[address] = true
	d := &Document{Address: address}
	if a, ok := b.Body.Attributes["source_policy_documents"]; ok {
		for _, t := range a.Expr.Variables() {
			if n, k, ok := documentRef(t); ok {
				if src := s.document(n, k, seen); src != nil {
					d.Statements = append(d.Statements, src.Statements...)
				}
			}
		}
	}
	for _, st := range s.expand(b.Body, "statement", extra) {
		stmt := s.statement(st.body, st.extra)
		replaced := false
		for i := range d.Statements {
			if stmt.Sid != "" && d.Statements[i].Sid == stmt.Sid {
				d.Statements[i], replaced = stmt, true
			}
		}
		if !replaced {
			d.Statements = append(d.Statements, stmt)
		}
	}
	return d
}

// nested is a block of a body, after dynamic blocks are expanded, with the variables its
// expressions see.
type nested struct {
	body  *hclsyntax.Body
	extra map[string]cty.Value
}

// expand returns body's blocks of type typ, in order, each dynamic "typ" block expanded into
// one block per element of its for_each.
func (s *Scope) expand(body *hclsyntax.Body, typ string, extra map[string]cty.Value) []nested {
	var out []nested
	for _, b := range body.Blocks {
		switch {
		case b.Type == typ:
			out = append(out, nested{b.Body, extra})
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == typ:
			iterator := typ
			if a, ok := b.Body.Attributes["iterator"]; ok {
				iterator = hcl.ExprAsKeyword(a.Expr)
			}
			var content *hclsyntax.Body
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					content = c.Body
				}
			}
			fe, ok := b.Body.Attributes["for_each"]
			if !ok || content == nil {
				continue
			}
			v := s.Eval(fe.Expr, extra)
			if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
				continue
			}
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				if v.Type().IsSetType() {
					k = e
				}
				inner := map[string]cty.Value{}
				for n, x := range extra {
					inner[n] = x
				}
				inner[iterator] = cty.ObjectVal(map[string]cty.Value{"key": k, "value": e})
				out = append(out, nested{content, inner})
			}
		}
	}
	return out
}

func (s *Scope) statement(body *hclsyntax.Body, extra map[string]cty.Value) Statement {
	attr := func(name string) hcl.Expression {
		if a, ok := body.Attributes[name]; ok {
			return a.Expr
		}
		return nil
	}
	st := Statement{
		Sid:          s.String(attr("sid"), extra),
		Effect:       s.String(attr("effect"), extra),
		Actions:      s.Strings(attr("actions"), extra),
		NotActions:   s.Strings(attr("not_actions"), extra),
		Resources:    s.Strings(attr("resources"), extra),
		NotResources: s.Strings(attr("not_resources"), extra),
		Range:        body.SrcRange,
	}
	if st.Effect == "" {
		st.Effect = "Allow"
	}
	for _, p := range s.expand(body, "principals", extra) {
		if a, ok := p.body.Attributes["identifiers"]; ok {
			st.Principals = append(st.Principals, s.Strings(a.Expr, p.extra)...)
		}
	}
	for _, c := range s.expand(body, "condition", extra) {
		cond := Condition{}
		if a, ok := c.body.Attributes["test"]; ok {
			cond.Test = s.String(a.Expr, c.extra)
		}
		if a, ok := c.body.Attributes["variable"]; ok {
			cond.Variable = s.String(a.Expr, c.extra)
		}
		if a, ok := c.body.Attributes["values"]; ok {
			cond.Values = s.Strings(a.Expr, c.extra)
		}
		st.Conditions = append(st.Conditions, cond)
	}
	return st
}

// documentRef reads data.aws_iam_policy_document.NAME[KEY].json.
func documentRef(t hcl.Traversal) (name, key string, ok bool) {
	if t.RootName() != "data" || len(t) < 3 {
		return "", "", false
	}
	typ, ok1 := t[1].(hcl.TraverseAttr)
	n, ok2 := t[2].(hcl.TraverseAttr)
	if !ok1 || !ok2 || typ.Name != "aws_iam_policy_document" {
		return "", "", false
	}
	if len(t) > 3 {
		if idx, isIndex := t[3].(hcl.TraverseIndex); isIndex && idx.Key.Type() == cty.String {
			key = idx.Key.AsString()
		}
	}
	return n.Name, key, true
}

// resourceRef reads TYPE.NAME.ATTR, the only reference of a simple expression.
func resourceRef(expr hcl.Expression, typ string) (string, bool) {
	for _, t := range expr.Variables() {
		if t.RootName() != typ || len(t) < 2 {
			continue
		}
		if n, ok := t[1].(hcl.TraverseAttr); ok {
			return n.Name, true
		}
	}
	return "", false
}

// documentOf is the policy document an attribute names: a document's json, or an
// aws_iam_policy of the module whose policy is one.
func (s *Scope) documentOf(expr hcl.Expression) *Document {
	for _, t := range expr.Variables() {
		if n, k, ok := documentRef(t); ok {
			return s.Document(n, k)
		}
	}
	if name, ok := resourceRef(expr, "aws_iam_policy"); ok {
		for _, p := range s.Module.blocks("resource", "aws_iam_policy", name) {
			if a, ok := p.Body.Attributes["policy"]; ok {
				return s.documentOf(a.Expr)
			}
		}
	}
	return nil
}

// Roles returns the module's roles with their trust, policies and boundary; a role whose count
// is 0 in this scope is not one of them.
func (s *Scope) Roles() []*Role {
	var roles []*Role
	byLabel := map[string]*Role{}
	for _, b := range s.Module.blocks("resource", "aws_iam_role") {
		if s.countIsZero(b.Body) {
			continue
		}
		r := &Role{Label: b.Labels[1], Range: b.DefRange()}
		if a, ok := b.Body.Attributes["name"]; ok {
			r.Name = s.String(a.Expr, nil)
		}
		if a, ok := b.Body.Attributes["assume_role_policy"]; ok {
			r.Trust = s.documentOf(a.Expr)
		}
		if a, ok := b.Body.Attributes["permissions_boundary"]; ok {
			r.Bounded = true
			r.Boundary = s.documentOf(a.Expr)
		}
		roles = append(roles, r)
		byLabel[r.Label] = r
	}
	roleOf := func(body *hclsyntax.Body) *Role {
		if a, ok := body.Attributes["role"]; ok {
			if name, ok := resourceRef(a.Expr, "aws_iam_role"); ok {
				return byLabel[name]
			}
		}
		return nil
	}
	for _, b := range s.Module.blocks("resource", "aws_iam_role_policy") {
		if r, a := roleOf(b.Body), b.Body.Attributes["policy"]; r != nil && a != nil {
			if d := s.documentOf(a.Expr); d != nil {
				r.Inline = append(r.Inline, d)
			}
		}
	}
	for _, b := range s.Module.blocks("resource", "aws_iam_role_policy_attachment") {
		if r, a := roleOf(b.Body), b.Body.Attributes["policy_arn"]; r != nil && a != nil {
			if d := s.documentOf(a.Expr); d != nil {
				r.Managed = append(r.Managed, d)
			}
		}
	}
	return roles
}

// countIsZero reports whether body's count evaluates to 0: the instance does not create the
// resource (an optional role). A count the scope cannot know keeps the resource.
func (s *Scope) countIsZero(body *hclsyntax.Body) bool {
	a, ok := body.Attributes["count"]
	if !ok {
		return false
	}
	v := s.Eval(a.Expr, nil)
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
		return false
	}
	return v.Equals(cty.Zero).True()
}

// ManagedPolicyNames are the names of the module's aws_iam_policy resources, evaluated.
func (s *Scope) ManagedPolicyNames() []string {
	var out []string
	for _, b := range s.Module.blocks("resource", "aws_iam_policy") {
		if a, ok := b.Body.Attributes["name"]; ok {
			out = append(out, s.String(a.Expr, nil))
		}
	}
	return out
}

// Allows reports whether the statement allows action (its actions match it, as IAM matches:
// case-insensitively, * and ? wildcards).
func (st Statement) Allows(action string) bool {
	return st.Effect == "Allow" && st.covers(action)
}

// Denies reports whether the statement denies action on every request (no condition).
func (st Statement) Denies(action string) bool {
	return st.Effect == "Deny" && len(st.Conditions) == 0 && st.covers(action)
}

func (st Statement) covers(action string) bool {
	if len(st.NotActions) > 0 {
		return !anyGlob(st.NotActions, action)
	}
	return anyGlob(st.Actions, action)
}

// Condition returns the statement's condition on variable (case-insensitive), if any.
func (st Statement) Condition(variable string) (Condition, bool) {
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Variable, variable) {
			return c, true
		}
	}
	return Condition{}, false
}

func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if glob(strings.ToLower(p), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// glob matches s against an IAM pattern: * is any run of characters, ? any one.
func glob(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
		default:
			if len(s) == 0 || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return len(s) == 0
}
