package config

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// The decoder walks the YAML syntax tree itself instead of using yaml.Unmarshal: a strict
// Unmarshal stops at the first unknown key, while `gantry config validate` must list every
// problem with its position, and later validation needs the position of every value.

// parseDocument parses data and returns the body of its single document.
func parseDocument(data []byte, ps *problems) (ast.Node, bool) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		ps.add(errorPosition(err), "", "%s", syntaxMessage(err))
		return nil, false
	}
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		ps.add(position{line: 1, col: 1}, "", "the file is empty: start it with `version: 1` and list projects or services")
		return nil, false
	case len(bodies) > 1:
		ps.add(nodePosition(bodies[1]), "", "the file holds %d YAML documents; gantry reads one: remove the `---` separators", len(bodies))
		return nil, false
	}
	return bodies[0], true
}

// yamlError is what goccy/go-yaml's errors implement.
type yamlError interface {
	GetToken() *token.Token
	GetMessage() string
}

func errorPosition(err error) position {
	var ye yamlError
	if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
		return position{line: ye.GetToken().Position.Line, col: ye.GetToken().Position.Column}
	}
	return position{}
}

func syntaxMessage(err error) string {
	var ye yamlError
	if errors.As(err, &ye) {
		return "YAML syntax error: " + ye.GetMessage()
	}
	return "YAML syntax error: " + err.Error()
}

type anchor struct {
	offset int
	value  ast.Node
}

type decoder struct {
	ps      *problems
	anchors map[string][]anchor // in file order
	spent   int                 // values and keys decoded so far, aliases expanded
}

// maxValues bounds the work of decoding: aliases and merge keys let a small file expand
// exponentially ("billion laughs"), and this file comes from a repository's users.
const maxValues = 100_000

// spend counts one value or key and reports whether decoding may go on.
func (d *decoder) spend() bool {
	d.spent++
	if d.spent == maxValues+1 {
		d.ps.fail(position{}, "", "the file expands to more than %d values through aliases and merge keys: write it out plainly", maxValues)
	}
	return d.spent <= maxValues
}

func newDecoder(root ast.Node, ps *problems) *decoder {
	d := &decoder{ps: ps, anchors: map[string][]anchor{}}
	ast.Walk(anchorCollector(d.anchors), root)
	return d
}

type anchorCollector map[string][]anchor

func (c anchorCollector) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil && a.Value != nil {
		name := a.Name.GetToken().Value
		c[name] = append(c[name], anchor{offset: a.GetToken().Position.Offset, value: a.Value})
	}
	return c
}

// maxAliasHops bounds alias-of-alias chains so a crafted file cannot loop.
const maxAliasHops = 32

// resolve follows anchors, aliases and standard tags to the node holding the value.
// It reports a problem and returns nil when it cannot.
func (d *decoder) resolve(n ast.Node, path string) ast.Node {
	for range maxAliasHops {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target := d.aliasTarget(v)
			if target == nil {
				d.ps.fail(nodePosition(v), path, "alias *%s refers to no anchor defined before it", v.Value.GetToken().Value)
				return nil
			}
			n = target
		case *ast.TagNode:
			tag := v.Start.Value
			if _, ok := standardTags[tag]; !ok {
				d.ps.fail(nodePosition(v), path, "YAML tag %s is not supported: remove it", tag)
				return nil
			}
			if tag == "!!str" || tag == "tag:yaml.org,2002:str" {
				return stringOf(v.Value)
			}
			n = v.Value
		default:
			return n
		}
		if n == nil {
			return nil
		}
	}
	d.ps.fail(position{}, path, "aliases nest more than %d deep", maxAliasHops)
	return nil
}

func (d *decoder) aliasTarget(a *ast.AliasNode) ast.Node {
	var target ast.Node
	for _, an := range d.anchors[a.Value.GetToken().Value] {
		if an.offset < a.GetToken().Position.Offset {
			target = an.value
		}
	}
	return target
}

var standardTags = map[string]struct{}{
	"!!str": {}, "!!int": {}, "!!float": {}, "!!bool": {}, "!!null": {}, "!!map": {}, "!!seq": {},
	"tag:yaml.org,2002:str": {},
}

// stringOf turns a scalar tagged !!str into a string node holding its text.
func stringOf(n ast.Node) ast.Node {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		tk := n.GetToken()
		return &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: tk, Value: tk.Value}
	}
	return n
}

var durationType = reflect.TypeFor[Duration]()

// decode stores the value of node n into v, reporting what does not fit v's type. It
// returns false when n holds no value (null), which counts as leaving the key out.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) bool {
	if !d.spend() {
		return true
	}
	d.ps.pos.values[path] = nodePosition(n)
	n = d.resolve(n, path)
	if n == nil {
		return true // a problem was reported; the key was there all the same
	}
	if n.Type() == ast.NullType {
		return false // keep the preset default or zero value
	}
	switch {
	case v.Type() == durationType:
		d.decodeDuration(n, v, path)
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path)
	case v.Kind() == reflect.Map:
		d.decodeMap(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
	return true
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.ps.fail(nodePosition(n), path, "expected a list, got %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(seq.Values))
	for i, item := range seq.Values {
		elem := reflect.New(v.Type().Elem())
		if p, ok := elem.Interface().(interface{ preset() }); ok {
			p.preset()
		}
		d.decode(item, elem.Elem(), fmt.Sprintf("%s[%d]", path, i))
		out = reflect.Append(out, elem.Elem())
	}
	v.Set(out)
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) {
	entries, ok := d.entries(n, path, nil)
	if !ok {
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(entries))
	for _, e := range entries {
		p := joinPath(path, e.name)
		d.ps.pos.keys[p] = nodePosition(e.key)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decodeMapValue(e.value, elem, p)
		out.SetMapIndex(reflect.ValueOf(e.name), elem)
	}
	v.Set(out)
}
