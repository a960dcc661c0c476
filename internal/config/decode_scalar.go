package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// A plain scalar beyond 64 bits is read by the parser as a string of digits.
var digits = regexp.MustCompile(`^[-+]?[0-9]+$`)

// decodeMapValue accepts any scalar for a string map value: backend settings such as
// `encrypt: true` are passed to Terraform as text.
func (d *decoder) decodeMapValue(n ast.Node, v reflect.Value, path string) {
	d.ps.pos.values[path] = nodePosition(n)
	n = d.resolve(n, path)
	if n == nil {
		return
	}
	switch n.Type() {
	case ast.StringType, ast.LiteralType, ast.IntegerType, ast.FloatType, ast.BoolType:
		d.decodeScalar(stringOf(n), v, path)
	default:
		d.ps.fail(nodePosition(n), path, "expected a string, number or true/false, got %s", describe(n))
	}
}

func (d *decoder) decodeDuration(n ast.Node, v reflect.Value, path string) {
	s, ok := scalarString(n)
	if !ok {
		d.ps.fail(nodePosition(n), path, "expected a duration such as 10m or 1h30m, got %s", describe(n))
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.ps.fail(nodePosition(n), path, "%q is not a duration: write it like 10m or 1h30m", s)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) decodeScalar(n ast.Node, v reflect.Value, path string) {
	pos := nodePosition(n)
	switch v.Kind() {
	case reflect.String:
		s, ok := scalarString(n)
		if !ok {
			d.ps.fail(pos, path, "expected a string, got %s%s", describe(n), quoteHint(n))
			return
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.ps.fail(pos, path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(b.Value)
	case reflect.Int, reflect.Int64:
		i, ok := n.(*ast.IntegerNode)
		if s, isStr := n.(*ast.StringNode); isStr && digits.MatchString(s.Value) && s.Token.Type != token.DoubleQuoteType && s.Token.Type != token.SingleQuoteType {
			// The parser reads a number beyond 64 bits as a string.
			d.ps.fail(pos, path, "%s is too large", s.Value)
			return
		}
		if !ok {
			d.ps.fail(pos, path, "expected a whole number, got %s", describe(n))
			return
		}
		x, ok := intValue(i)
		if !ok || v.OverflowInt(x) {
			d.ps.fail(pos, path, "%s is too large", i.GetToken().Value)
			return
		}
		v.SetInt(x)
	case reflect.Float64:
		f, ok := number(n)
		if !ok {
			d.ps.fail(pos, path, "expected a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: no decoding for %s at %s", v.Type(), path))
	}
}

// intValue reads an integer node, which holds an int64 when negative, a uint64 otherwise
// and nothing when out of range.
func intValue(n *ast.IntegerNode) (int64, bool) {
	switch x := n.Value.(type) {
	case int64:
		return x, true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func scalarString(n ast.Node) (string, bool) {
	switch s := n.(type) {
	case *ast.StringNode:
		return s.Value, true
	case *ast.LiteralNode:
		return s.Value.Value, true
	}
	return "", false
}

func number(n ast.Node) (float64, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		switch i := x.Value.(type) {
		case int64:
			return float64(i), true
		case uint64:
			return float64(i), true
		}
	case *ast.FloatNode:
		if !math.IsInf(x.Value, 0) && !math.IsNaN(x.Value) {
			return x.Value, true
		}
	}
	return 0, false
}

// describe names a node's kind for messages: "got a list".
func describe(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		return "a string"
	case ast.IntegerType, ast.FloatType, ast.InfinityType, ast.NanType:
		return "the number " + n.GetToken().Value
	case ast.BoolType:
		return n.GetToken().Value
	case ast.NullType:
		return "nothing"
	}
	return n.Type().String()
}

// quoteHint tells how to write a scalar YAML read as a number or boolean as a string: a
// version pinned as 1.10 would otherwise silently become 1.1.
func quoteHint(n ast.Node) string {
	switch n.Type() {
	case ast.IntegerType, ast.FloatType, ast.BoolType, ast.InfinityType, ast.NanType:
		return "; put it in quotes: " + strconv.Quote(n.GetToken().Value)
	}
	return ""
}
