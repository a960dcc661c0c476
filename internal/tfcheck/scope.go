package tfcheck

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// A Scope evaluates the expressions of one instance of a module without Terraform or its
// providers. Variables have the values a caller passed, else their defaults, else a
// placeholder; locals are computed from them. What only a provider knows — an attribute of a
// resource or data source, another module's output — is the placeholder string "${ADDRESS}"
// (data.aws_caller_identity.current.account_id, module.ecr.repository_arn), so a check can
// still read which ARN a statement names, and two placeholders of one address are equal.
// An expression that cannot be evaluated (a function this package does not know, a for
// expression over a placeholder) becomes "${SOURCE}" the same way.
type Scope struct {
	Module *Module
	ctx    *hcl.EvalContext
}

// wellKnown are data sources whose value does not matter to a check but whose length does,
// for the size of a policy: representative values stand in for them.
var wellKnown = map[string]cty.Value{
	"data.aws_caller_identity.current.account_id": cty.StringVal("111111111111"),
	"data.aws_region.current.name":                cty.StringVal("us-east-1"),
	"data.aws_partition.current.partition":        cty.StringVal("aws"),
}

// scopeRoots are the names Terraform itself gives meaning; every other root of a reference is
// a resource type, data or module.
var scopeRoots = map[string]bool{"var": true, "local": true, "each": true, "count": true, "path": true, "terraform": true, "self": true}

// Scope returns the scope of m with the variable values vars (others: default or placeholder).
func (m *Module) Scope(vars map[string]cty.Value) *Scope {
	s := &Scope{Module: m}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: functions()}
	for name, v := range placeholderRefs(m) {
		ctx.Variables[name] = v
	}
	ctx.Variables["path"] = cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal("."), "root": cty.StringVal("."), "cwd": cty.StringVal(".")})
	ctx.Variables["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")})
	s.ctx = ctx

	values := map[string]cty.Value{}
	for _, b := range m.blocks("variable") {
		name := b.Labels[0]
		ty, defaults := cty.DynamicPseudoType, (*typeexpr.Defaults)(nil)
		if a, ok := b.Body.Attributes["type"]; ok {
			if t, d, diags := typeexpr.TypeConstraintWithDefaults(a.Expr); !diags.HasErrors() {
				ty, defaults = t, d
			}
		}
		v, passed := vars[name]
		if !passed {
			if a, ok := b.Body.Attributes["default"]; ok {
				if d, diags := a.Expr.Value(nil); !diags.HasErrors() {
					v, passed = d, true
				}
			}
		}
		values[name] = typed(v, passed, ty, defaults, "var."+name)
	}
	ctx.Variables["var"] = cty.ObjectVal(values)
	ctx.Variables["local"] = s.locals()
	return s
}

// typed converts v to the variable's type ty, or makes a placeholder of that type (named
// name) when there is no value or it does not convert: a list variable given the placeholder
// of a module output is a list of that placeholder.
func typed(v cty.Value, ok bool, ty cty.Type, defaults *typeexpr.Defaults, name string) cty.Value {
	if !ok {
		return placeholderOf(ty, name)
	}
	if v.IsNull() {
		return v
	}
	if defaults != nil {
		v = defaults.Apply(v)
	}
	c, err := convert.Convert(v, ty)
	if err != nil {
		if v.Type() == cty.String && v.IsKnown() {
			return placeholderOf(ty, strings.TrimSuffix(strings.TrimPrefix(v.AsString(), "${"), "}"))
		}
		return placeholderOf(ty, name)
	}
	return c
}

// placeholderOf is a value of type ty that stands for the unknown value named name.
func placeholderOf(ty cty.Type, name string) cty.Value {
	ph := "${" + name + "}"
	switch {
	case ty == cty.String || ty == cty.DynamicPseudoType:
		return cty.StringVal(ph)
	case ty.IsListType():
		return cty.ListVal([]cty.Value{placeholderOf(ty.ElementType(), name)})
	case ty.IsSetType():
		return cty.SetVal([]cty.Value{placeholderOf(ty.ElementType(), name)})
	case ty.IsMapType():
		return cty.MapVal(map[string]cty.Value{ph: placeholderOf(ty.ElementType(), name)})
	case ty.IsObjectType():
		attrs := map[string]cty.Value{}
		for a, at := range ty.AttributeTypes() {
			attrs[a] = placeholderOf(at, name+"."+a)
		}
		return cty.ObjectVal(attrs)
	default:
		return cty.UnknownVal(ty)
	}
}

// placeholderRefs builds, for every reference of m to a resource, data source or module, an
// object whose leaves are the placeholders of their addresses.
func placeholderRefs(m *Module) map[string]cty.Value {
	type node struct {
		children map[string]*node
		address  string
	}
	roots := map[string]*node{}
	for _, body := range m.Bodies {
		_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			e, ok := n.(*hclsyntax.ScopeTraversalExpr)
			if !ok || scopeRoots[e.Traversal.RootName()] {
				return nil
			}
			root := e.Traversal.RootName()
			cur, ok := roots[root]
			if !ok {
				cur = &node{children: map[string]*node{}, address: root}
				roots[root] = cur
			}
			for _, step := range e.Traversal[1:] {
				var key, address string
				switch st := step.(type) {
				case hcl.TraverseAttr:
					key, address = st.Name, cur.address+"."+st.Name
				case hcl.TraverseIndex:
					switch {
					case st.Key.Type() == cty.String:
						key = st.Key.AsString()
						address = fmt.Sprintf("%s[%q]", cur.address, key)
					case st.Key.Type() == cty.Number:
						key = st.Key.AsBigFloat().Text('f', -1)
						address = fmt.Sprintf("%s[%s]", cur.address, key)
					}
				}
				if key == "" {
					break
				}
				next, ok := cur.children[key]
				if !ok {
					next = &node{children: map[string]*node{}, address: address}
					cur.children[key] = next
				}
				cur = next
			}
			return nil
		})
	}
	var value func(n *node) cty.Value
	value = func(n *node) cty.Value {
		if v, ok := wellKnown[n.address]; ok {
			return v
		}
		if len(n.children) == 0 {
			return cty.StringVal("${" + n.address + "}")
		}
		attrs := map[string]cty.Value{}
		for k, c := range n.children {
			attrs[k] = value(c)
		}
		return cty.ObjectVal(attrs)
	}
	out := map[string]cty.Value{}
	for name, n := range roots {
		out[name] = value(n)
	}
	return out
}

// locals evaluates the module's locals, each after the locals it refers to.
func (s *Scope) locals() cty.Value {
	exprs := map[string]hcl.Expression{}
	for _, b := range s.Module.blocks("locals") {
		for name, a := range b.Body.Attributes {
			exprs[name] = a.Expr
		}
	}
	done := map[string]cty.Value{}
	visiting := map[string]bool{}
	var eval func(name string) cty.Value
	eval = func(name string) cty.Value {
		if v, ok := done[name]; ok {
			return v
		}
		expr := exprs[name]
		if visiting[name] {
			return cty.StringVal("${local." + name + "}")
		}
		visiting[name] = true
		for _, t := range expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if a, ok := t[1].(hcl.TraverseAttr); ok {
				if _, known := exprs[a.Name]; known {
					eval(a.Name)
				}
			}
		}
		s.ctx.Variables["local"] = cty.ObjectVal(done)
		v, diags := expr.Value(s.ctx)
		if diags.HasErrors() {
			v = cty.StringVal("${local." + name + "}")
		}
		done[name] = v
		return v
	}
	names := make([]string, 0, len(exprs))
	for name := range exprs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		eval(name)
	}
	return cty.ObjectVal(done)
}

// Eval evaluates expr with the extra variables (each, a dynamic block's iterator). It never
// fails: what cannot be evaluated is the placeholder of its source text.
func (s *Scope) Eval(expr hcl.Expression, extra map[string]cty.Value) cty.Value {
	ctx := s.ctx
	if len(extra) > 0 {
		ctx = s.ctx.NewChild()
		ctx.Variables = extra
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.StringVal("${" + s.Module.text(expr.Range()) + "}")
	}
	return v
}

// Strings evaluates expr to a list of strings: a string is a list of one, and an element
// that is not a known string is the placeholder of the expression's source.
func (s *Scope) Strings(expr hcl.Expression, extra map[string]cty.Value) []string {
	if expr == nil {
		return nil
	}
	v := s.Eval(expr, extra)
	fallback := "${" + s.Module.text(expr.Range()) + "}"
	if v.IsNull() {
		return nil
	}
	if !v.IsKnown() {
		return []string{fallback}
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}
	}
	if !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
		return []string{fallback}
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
			out = append(out, e.AsString())
		} else if c, err := convert.Convert(e, cty.String); err == nil && c.IsKnown() && !c.IsNull() {
			out = append(out, c.AsString())
		} else {
			out = append(out, fallback)
		}
	}
	return out
}

// String evaluates expr to one string, or its placeholder.
func (s *Scope) String(expr hcl.Expression, extra map[string]cty.Value) string {
	if expr == nil {
		return ""
	}
	v := s.Eval(expr, extra)
	if c, err := convert.Convert(v, cty.String); err == nil && c.IsKnown() && !c.IsNull() {
		return c.AsString()
	}
	return "${" + s.Module.text(expr.Range()) + "}"
}

// Instance is the scope of the module that m's module block call instantiates, with the
// arguments evaluated in m's scope (a root's, whose own variables are placeholders unless
// they have defaults).
func (m *Module) Instance(call string) (*Scope, error) {
	return m.InstanceWith(call, nil)
}

// InstanceWith is Instance with the root's variables vars set, as a terraform.tfvars would.
func (m *Module) InstanceWith(call string, rootVars map[string]cty.Value) (*Scope, error) {
	blocks := m.blocks("module", call)
	if len(blocks) != 1 {
		return nil, fmt.Errorf("%s: no module %q", m.Dir, call)
	}
	b := blocks[0]
	var source string
	for _, c := range m.Calls {
		if c.Name == call {
			source = c.Source
		}
	}
	callee, err := Load(filepath.Join(m.Dir, source))
	if err != nil {
		return nil, err
	}
	outer := m.Scope(rootVars)
	vars := map[string]cty.Value{}
	for name, a := range b.Body.Attributes {
		if metaArgs[name] {
			continue
		}
		vars[name] = outer.Eval(a.Expr, nil)
	}
	return callee.Scope(vars), nil
}

// functions are the Terraform functions the repository's modules use that cty implements.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "can": tryfunc.CanFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
		"coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "endswith": endswith, "flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc,
		"format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc, "indent": stdlib.IndentFunc,
		"join": stdlib.JoinFunc, "jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc,
		"max": stdlib.MaxFunc, "merge": stdlib.MergeFunc, "min": stdlib.MinFunc, "range": stdlib.RangeFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": stdlib.ReplaceFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc,
		"sort": stdlib.SortFunc, "split": stdlib.SplitFunc, "strcontains": strcontains, "startswith": startswith,
		"substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc, "trim": stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"try": tryfunc.TryFunc, "upper": stdlib.UpperFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	}
}

var strcontains = stringTest(strings.Contains)
var startswith = stringTest(strings.HasPrefix)
var endswith = stringTest(strings.HasSuffix)

func stringTest(f func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "s", Type: cty.String}, {Name: "sub", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// Local is the value of the module's local name (null when it has none).
func (s *Scope) Local(name string) cty.Value {
	locals := s.ctx.Variables["local"]
	if locals.Type().IsObjectType() && locals.Type().HasAttribute(name) {
		return locals.GetAttr(name)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}
