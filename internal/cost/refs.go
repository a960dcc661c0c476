package cost

import (
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Values unknown at plan time (an ARN of a resource being created, the IDs of subnets being
// created) are followed through the plan's configuration: an expression's references lead
// to module variables, module outputs and resources, and from there to the planned values
// of the resources they name.

// maxRefDepth bounds reference chains, which a crafted plan could make circular.
const maxRefDepth = 32

// reference is one parsed entry of an expression's "references".
type reference struct {
	kind string // "var", "module", "resource"; "" for what cannot be followed
	name string // variable name, module call name, or resource "type.name"
	key  string // instance key with brackets (`[0]`, `["a"]`), or ""
	attr string // module output name, or resource attribute (first step only)
}

func parseReference(s string) reference {
	head, rest := cutIdent(s)
	switch head {
	case "var":
		name, _ := cutIdent(strings.TrimPrefix(rest, "."))
		return reference{kind: "var", name: name}
	case "module":
		name, rest := cutIdent(strings.TrimPrefix(rest, "."))
		key, rest := cutKey(rest)
		out, _ := cutIdent(strings.TrimPrefix(rest, "."))
		return reference{kind: "module", name: name, key: key, attr: out}
	case "data", "local", "each", "count", "path", "terraform", "self", "":
		return reference{}
	}
	if !strings.HasPrefix(rest, ".") {
		return reference{}
	}
	name, rest := cutIdent(rest[1:])
	if name == "" {
		return reference{}
	}
	key, rest := cutKey(rest)
	attr, _ := cutIdent(strings.TrimPrefix(rest, "."))
	return reference{kind: "resource", name: head + "." + name, key: key, attr: attr}
}

func cutIdent(s string) (string, string) {
	i := strings.IndexAny(s, ".[")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func cutKey(s string) (string, string) {
	if !strings.HasPrefix(s, "[") {
		return "", s
	}
	end := skipKey(s, 0)
	return s[:end+1], s[end+1:]
}

// meaningfulRefs drops the entries Terraform adds for the containing object of another
// entry (`aws_subnet.private` after `aws_subnet.private[0].id`, `module.network` after
// `module.network.ids`), which would otherwise widen a reference to every instance.
func meaningfulRefs(refs []string) []reference {
	parsed := make([]reference, 0, len(refs))
	specific := map[string]bool{}
	for _, s := range refs {
		r := parseReference(s)
		if r.kind == "" {
			continue
		}
		parsed = append(parsed, r)
		if r.key != "" || r.attr != "" {
			specific[r.kind+" "+r.name] = true
		}
	}
	keyed := map[string]bool{}
	for _, r := range parsed {
		if r.key != "" {
			keyed[r.kind+" "+r.name] = true
		}
	}
	out := parsed[:0]
	seen := map[reference]bool{}
	for _, r := range parsed {
		id := r.kind + " " + r.name
		if r.key == "" && r.attr == "" && specific[id] && r.kind != "var" {
			continue
		}
		if r.key == "" && keyed[id] {
			continue
		}
		if r.kind == "resource" {
			r.attr = "" // all attributes of one instance name the same instance
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// instances returns the managed resource instances that expr, evaluated in the module
// instance module, refers to, following module variables and outputs.
func (ix *planIndex) instances(module string, expr *tfjson.Expression) []*tfjson.ResourceChange {
	return dedupChanges(ix.follow(module, expr, map[visit]bool{}, 0))
}

// visit is one expression evaluated in one module instance; each is followed once, so
// that a configuration whose references fan out cannot make the walk exponential.
type visit struct {
	module string
	expr   *tfjson.Expression
}

func (ix *planIndex) follow(module string, expr *tfjson.Expression, seen map[visit]bool, depth int) []*tfjson.ResourceChange {
	v := visit{module, expr}
	if expr == nil || expr.ExpressionData == nil || depth > maxRefDepth || seen[v] {
		return nil
	}
	seen[v] = true
	var out []*tfjson.ResourceChange
	for _, r := range meaningfulRefs(expr.References) {
		switch r.kind {
		case "resource":
			out = append(out, ix.resourceInstances(module, r)...)
		case "var":
			if parent, call, ok := ix.parentCall(module); ok {
				out = append(out, ix.follow(parent, call.Expressions[r.name], seen, depth+1)...)
			}
		case "module":
			for _, child := range ix.childInstances(module, r) {
				out = append(out, ix.follow(child, ix.outputExpr(child, r.attr), seen, depth+1)...)
			}
		}
	}
	return out
}

// value returns the value of expr in module when it is a constant or leads, through
// variables and outputs, to one variable value or one known resource attribute.
func (ix *planIndex) value(module string, expr *tfjson.Expression, depth int) (any, bool) {
	if expr == nil || expr.ExpressionData == nil || depth > maxRefDepth {
		return nil, false
	}
	if expr.ConstantValue != tfjson.UnknownConstantValue && len(expr.References) == 0 {
		return expr.ConstantValue, expr.ConstantValue != nil
	}
	refs := meaningfulRefs(expr.References)
	if len(refs) != 1 {
		return nil, false
	}
	r := refs[0]
	switch r.kind {
	case "var":
		parent, call, ok := ix.parentCall(module)
		if !ok {
			v := ix.plan.Variables[r.name]
			if v == nil || v.Value == nil {
				return nil, false
			}
			return v.Value, true
		}
		return ix.value(parent, call.Expressions[r.name], depth+1)
	case "module":
		children := ix.childInstances(module, r)
		if len(children) != 1 {
			return nil, false
		}
		return ix.value(children[0], ix.outputExpr(children[0], r.attr), depth+1)
	}
	return nil, false
}

func (ix *planIndex) resourceInstances(module string, r reference) []*tfjson.ResourceChange {
	all := ix.byResource[joinAddress(module, r.name)]
	if r.key == "" {
		return all
	}
	want := joinAddress(module, r.name+r.key)
	for _, rc := range all {
		if rc.Address == want {
			return []*tfjson.ResourceChange{rc}
		}
	}
	return nil
}

// parentCall returns the module instance that called module, and the call.
func (ix *planIndex) parentCall(module string) (string, *tfjson.ModuleCall, bool) {
	if module == "" {
		return "", nil, false
	}
	call := ix.calls[stripKeys(module)]
	if call == nil {
		return "", nil, false
	}
	i := strings.LastIndex(module, ".module.")
	if i < 0 {
		return "", call, true
	}
	return module[:i], call, true
}

// childInstances lists the instances of the module call r made from module.
func (ix *planIndex) childInstances(module string, r reference) []string {
	prefix := joinAddress(module, "module."+r.name)
	if r.key != "" {
		return []string{prefix + r.key}
	}
	var out []string
	for _, inst := range ix.moduleInstances[stripKeys(prefix)] {
		if inst == prefix || (strings.HasPrefix(inst, prefix+"[") && !strings.Contains(inst[len(prefix):], ".module.")) {
			out = append(out, inst)
		}
	}
	if len(out) == 0 {
		// A module whose resources are all unchanged or absent still has its configuration.
		out = []string{prefix}
	}
	return out
}

func (ix *planIndex) outputExpr(module, output string) *tfjson.Expression {
	m := ix.configs[stripKeys(module)]
	if m == nil || m.Outputs[output] == nil {
		return nil
	}
	return m.Outputs[output].Expression
}

func dedupChanges(in []*tfjson.ResourceChange) []*tfjson.ResourceChange {
	seen := make(map[*tfjson.ResourceChange]bool, len(in))
	out := in[:0]
	for _, rc := range in {
		if !seen[rc] {
			seen[rc] = true
			out = append(out, rc)
		}
	}
	return out
}
