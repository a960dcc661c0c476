// Package tfcheck reads the repository's Terraform code without Terraform or its providers:
// the variables, outputs and module calls of every root and module, so tests can check that
// module calls pass only declared variables, miss no required one, and use only declared
// outputs — what `terraform validate` would catch if the AWS provider could be installed.
// It also evaluates what it can of a module (scope.go) to read its IAM roles and policy
// documents (iam.go) and check them against gantry's least-privilege rules (rules.go), and
// the GitHub environments those roles trust (environments.go).
package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Module is one directory of .tf files.
type Module struct {
	Dir       string
	Variables map[string]bool // name → required (no default)
	Outputs   map[string]bool
	Calls     []Call
	// Refs are the module output references (module.NAME.OUTPUT) in its expressions.
	Refs []Ref
	// Bodies are the parsed files, for checks of their own.
	Bodies []*hclsyntax.Body

	sources map[string][]byte // file name → its text, for the source of an expression
}

// Call is a module block.
type Call struct {
	Name   string
	Source string
	Args   []string
	Range  hcl.Range
}

// Ref is a reference to a module's output.
type Ref struct {
	Module, Output string
	Range          hcl.Range
}

// metaArgs are module block arguments that are not variables.
var metaArgs = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}

// Load parses the .tf files of dir.
func Load(dir string) (*Module, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	m := &Module{Dir: dir, Variables: map[string]bool{}, Outputs: map[string]bool{}, sources: map[string][]byte{}}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m.sources[f] = src
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %s", f, diags.Error())
		}
		body := file.Body.(*hclsyntax.Body)
		m.Bodies = append(m.Bodies, body)
		m.read(body)
	}
	return m, nil
}

func (m *Module) read(body *hclsyntax.Body) {
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			_, hasDefault := b.Body.Attributes["default"]
			m.Variables[b.Labels[0]] = !hasDefault
		case "output":
			m.Outputs[b.Labels[0]] = true
		case "module":
			c := Call{Name: b.Labels[0], Range: b.DefRange()}
			for name, a := range b.Body.Attributes {
				if name == "source" {
					if v, d := a.Expr.Value(nil); !d.HasErrors() {
						c.Source = v.AsString()
					}
					continue
				}
				if !metaArgs[name] {
					c.Args = append(c.Args, name)
				}
			}
			sort.Strings(c.Args)
			m.Calls = append(m.Calls, c)
		}
	}
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		e, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(e.Traversal) < 3 || e.Traversal.RootName() != "module" {
			return nil
		}
		name, ok1 := e.Traversal[1].(hcl.TraverseAttr)
		next := e.Traversal[2]
		if idx, isIndex := next.(hcl.TraverseIndex); isIndex && len(e.Traversal) > 3 {
			_ = idx // module.NAME[KEY].OUTPUT for modules with count or for_each
			next = e.Traversal[3]
		}
		out, ok2 := next.(hcl.TraverseAttr)
		if ok1 && ok2 {
			m.Refs = append(m.Refs, Ref{Module: name.Name, Output: out.Name, Range: e.Range()})
		}
		return nil
	})
}

// Problems checks m's calls of local modules (sources starting with ./ or ../): undeclared
// arguments, missing required variables, and references to undeclared outputs.
func (m *Module) Problems() ([]string, error) {
	var problems []string
	called := map[string]*Module{}
	for _, c := range m.Calls {
		if !strings.HasPrefix(c.Source, "./") && !strings.HasPrefix(c.Source, "../") {
			continue
		}
		callee, err := Load(filepath.Join(m.Dir, c.Source))
		if err != nil {
			return nil, err
		}
		called[c.Name] = callee
		for _, a := range c.Args {
			if _, ok := callee.Variables[a]; !ok {
				problems = append(problems, fmt.Sprintf("%s: module %q passes %q, which %s does not declare", c.Range, c.Name, a, c.Source))
			}
		}
		for v, required := range callee.Variables {
			if required && !contains(c.Args, v) {
				problems = append(problems, fmt.Sprintf("%s: module %q misses the required variable %q of %s", c.Range, c.Name, v, c.Source))
			}
		}
	}
	for _, r := range m.Refs {
		callee, ok := called[r.Module]
		if !ok {
			if !m.hasCall(r.Module) {
				problems = append(problems, fmt.Sprintf("%s: module.%s is not a module of %s", r.Range, r.Module, m.Dir))
			}
			continue
		}
		if !callee.Outputs[r.Output] {
			problems = append(problems, fmt.Sprintf("%s: module.%s.%s: the module declares no output %q", r.Range, r.Module, r.Output, r.Output))
		}
	}
	sort.Strings(problems)
	return problems, nil
}

func (m *Module) hasCall(name string) bool {
	for _, c := range m.Calls {
		if c.Name == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// text is the source of the range r.
func (m *Module) text(r hcl.Range) string {
	src, ok := m.sources[r.Filename]
	if !ok || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(src[r.Start.Byte:r.End.Byte])
}

// blocks returns the blocks of type typ (and first label, when given) of all m's files.
func (m *Module) blocks(typ string, labels ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, body := range m.Bodies {
		for _, b := range body.Blocks {
			if b.Type != typ {
				continue
			}
			match := true
			for i, l := range labels {
				if i >= len(b.Labels) || b.Labels[i] != l {
					match = false
				}
			}
			if match {
				out = append(out, b)
			}
		}
	}
	return out
}
