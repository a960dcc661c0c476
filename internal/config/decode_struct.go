package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// field is one .gantry.yaml key of a Go struct, from its yaml and jsonschema tags.
type field struct {
	name     string
	index    int
	required bool
}

// fieldsOf lists the keys of struct type t in declaration order.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		required := slices.Contains(strings.Split(sf.Tag.Get("jsonschema"), ","), "required")
		out = append(out, field{name: name, index: i, required: required})
	}
	return out
}

// missingHints say what to write when a required key is left out, by "Type.key".
var missingHints = map[string]string{
	"Repo.version":        "add `version: 1` at the top of the file",
	"Project.dir":         "set it to the Terraform root module's directory, relative to the repository root",
	"Service.name":        "name the service; /rollback and deployments refer to it by name",
	"Service.aws":         "set role_arn of the role the service's deployments assume (ECR and ECS, or Amplify)",
	"ServiceAWS.role_arn": "set the ARN of the IAM role the service's deployments assume by web identity",
	"Build.context":       "set the directory sent to the image build, relative to the repository root",
	"ECS.cluster":         "set the ECS cluster name or ARN",
	"ECS.service":         "set the ECS service name",
	"ECS.container":       "set the name of the container in the task definition whose image is replaced",
	"Amplify.app_id":      "set the Amplify app's ID, such as d1a2b3c4d5e6f7 (the end of the app's ARN, shown in the console's App settings)",
	"Amplify.branch":      "set the Amplify branch whose releases deploy the service, such as main",
}

// unknownHints explain keys that look right but do not belong where they are, by "Type.key".
var unknownHints = map[string]string{
	"ServiceAWS.plan_role_arn": "services have no plan phase (a deployment ships merged code with role_arn): " +
		"remove plan_role_arn; it belongs to projects",
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	entries, ok := d.entries(n, path, nil)
	if !ok {
		return
	}
	fields := fieldsOf(v.Type())
	byName := make(map[string]field, len(fields))
	names := make([]string, len(fields))
	for i, f := range fields {
		byName[f.name] = f
		names[i] = f.name
	}
	present := map[string]bool{}
	for _, e := range entries {
		p := joinPath(path, e.name)
		f, ok := byName[e.name]
		if !ok {
			msg, hinted := unknownHints[v.Type().Name()+"."+e.name]
			if !hinted {
				msg = unknownKeyMessage(e.name, names)
			}
			d.ps.fail(nodePosition(e.key), p, "%s", msg)
			continue
		}
		d.ps.pos.keys[p] = nodePosition(e.key)
		present[e.name] = d.decode(e.value, v.Field(f.index), p)
		if !present[e.name] {
			d.ps.pos.null[p] = true
		}
	}
	for _, f := range fields {
		if f.required && !present[f.name] {
			msg := fmt.Sprintf("missing required key %q", f.name)
			if hint, ok := missingHints[v.Type().Name()+"."+f.name]; ok {
				msg += ": " + hint
			}
			d.ps.add(nodePosition(n), path, "%s", msg)
			d.ps.pos.bad[joinPath(path, f.name)] = true
		}
	}
}

func unknownKeyMessage(name string, known []string) string {
	if s, ok := suggest(name, known); ok {
		return fmt.Sprintf("unknown key; did you mean %q?", s)
	}
	return "unknown key; known keys here are " + strings.Join(known, ", ")
}

// entry is one key of a mapping with its value.
type entry struct {
	name  string
	key   ast.Node
	value ast.Node
}

// entries lists a mapping's keys in file order, with merge keys (<<) expanded; keys written
// in the mapping itself win over merged ones, as YAML specifies. visiting guards against a
// merge that refers back to its own mapping.
func (d *decoder) entries(n ast.Node, path string, visiting []ast.Node) ([]entry, bool) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		d.ps.fail(nodePosition(n), path, "expected a mapping of keys, got %s", describe(n))
		return nil, false
	}
	if slices.Contains(visiting, n) {
		d.ps.fail(nodePosition(n), path, "a merge key (<<) refers back to the mapping it is in")
		return nil, false
	}
	visiting = append(visiting, n)
	var own, merged []entry
	for _, mv := range values {
		if !d.spend() {
			return nil, false
		}
		if mv.Key.IsMergeKey() {
			merged = append(merged, d.mergeEntries(mv.Value, path, visiting)...)
			continue
		}
		name, ok := d.keyName(mv.Key, path)
		if !ok {
			continue
		}
		own = append(own, entry{name: name, key: mv.Key, value: mv.Value})
	}
	seen := map[string]bool{}
	for _, e := range own {
		seen[e.name] = true
	}
	for _, e := range merged {
		if !seen[e.name] {
			seen[e.name] = true
			own = append(own, e)
		}
	}
	return own, true
}

// mergeEntries expands the value of a merge key: a mapping or a list of mappings, the
// earlier of which wins.
func (d *decoder) mergeEntries(n ast.Node, path string, visiting []ast.Node) []entry {
	n = d.resolve(n, path)
	if n == nil {
		return nil
	}
	sources := []ast.Node{n}
	if seq, ok := n.(*ast.SequenceNode); ok {
		sources = sources[:0]
		for _, item := range seq.Values {
			if item = d.resolve(item, path); item != nil {
				sources = append(sources, item)
			}
		}
	}
	var out []entry
	for _, src := range sources {
		es, _ := d.entries(src, path, visiting)
		out = append(out, es...)
	}
	return out
}

func (d *decoder) keyName(k ast.MapKeyNode, path string) (string, bool) {
	var n ast.Node = k
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		if mk.Value == nil {
			d.ps.fail(nodePosition(k), path, "a key is empty: write a key name before the colon")
			return "", false
		}
		n = mk.Value
	}
	n = d.resolve(n, path)
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return x.GetToken().Value, true
	}
	if n != nil {
		d.ps.fail(nodePosition(k), path, "keys must be plain names, got %s", describe(n))
	}
	return "", false
}
