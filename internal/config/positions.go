package config

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// position is a 1-based line and column in the file; the zero value means unknown.
type position struct{ line, col int }

// positions maps a value's path (projects[0].apply.on) to where the file wrote it, so
// problems found after decoding still carry line numbers.
type positions struct {
	values map[string]position // where the value starts
	keys   map[string]position // where its key is written
	bad    map[string]bool     // paths that failed to decode: further problems there are noise
	null   map[string]bool     // keys written with no value (key: or key: ~), which count as left out
}

func newPositions() *positions {
	return &positions{values: map[string]position{}, keys: map[string]position{}, bad: map[string]bool{}, null: map[string]bool{}}
}

// value locates path's value, else its key, else the nearest enclosing value.
func (p *positions) value(path string) position {
	for {
		if pos, ok := p.values[path]; ok {
			return pos
		}
		if pos, ok := p.keys[path]; ok {
			return pos
		}
		if path == "" {
			return position{}
		}
		path = parentPath(path)
	}
}

// key locates path's key, else falls back like value.
func (p *positions) key(path string) position {
	if pos, ok := p.keys[path]; ok {
		return pos
	}
	return p.value(path)
}

// written reports whether the file wrote the key at path.
func (p *positions) written(path string) bool {
	_, ok := p.keys[path]
	return ok
}

// given reports whether the file wrote the key at path with a value: `key: ~` is not given.
func (p *positions) given(path string) bool {
	return p.written(path) && !p.null[path]
}

// isBad reports whether path or anything enclosing it failed to decode.
func (p *positions) isBad(path string) bool {
	for {
		if p.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// parentPath strips the last ".key" or "[i]" from path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// nodePosition is where a node starts as a reader sees it: a block mapping starts at its
// first key, not at the first ':' the parser records as its token.
func nodePosition(n ast.Node) position {
	if n == nil {
		return position{}
	}
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		return nodePosition(m.Values[0].Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{line: tk.Position.Line, col: tk.Position.Column}
}
