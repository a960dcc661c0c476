package cost

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Usage is a usage file in Infracost's format: the quantities of usage-priced components
// (data processed, requests, storage) that a plan cannot tell.
//
//	version: 0.1
//	resource_type_default_usage:
//	  aws_cloudwatch_log_group:
//	    monthly_data_ingested_gb: 5
//	resource_usage:
//	  module.network.aws_nat_gateway.this[*]:
//	    monthly_data_processed_gb: 100
//
// For each key, a resource's value comes from its exact address, else from the first
// wildcard address that matches it, else from its type's default.
type Usage struct {
	// File names the usage file in what gantry prints ("cost-usage.yml").
	File string

	exact     map[string]map[string]float64
	wildcards []wildcardUsage
	types     map[string]map[string]float64
}

type wildcardUsage struct {
	pattern string
	values  map[string]float64
}

// ErrBadUsage is wrapped by every error of ParseUsage.
var ErrBadUsage = errors.New("bad usage file")

// UsageError is a usage file problem that stops it from being read, at a line of the file.
type UsageError struct {
	Line    int // 1-based; 0 when unknown
	Message string
}

func (e *UsageError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("usage file line %d: %s", e.Line, e.Message)
	}
	return "usage file: " + e.Message
}

func (e *UsageError) Unwrap() error { return ErrBadUsage }

// usageKeys are the keys gantry prices for each resource type (SPEC §5), with Infracost's
// meaning. Keys of other types are accepted with a warning, so teams can bring their file.
var usageKeys = map[string][]string{
	"aws_nat_gateway":           {"monthly_data_processed_gb"},
	"aws_vpc_endpoint":          {"monthly_data_processed_gb"},
	"aws_cloudwatch_log_group":  {"monthly_data_ingested_gb", "storage_gb", "monthly_data_scanned_gb"},
	"aws_lb":                    {"new_connections", "active_connections", "processed_bytes_gb", "rule_evaluations"},
	"aws_alb":                   {"new_connections", "active_connections", "processed_bytes_gb", "rule_evaluations"},
	"aws_secretsmanager_secret": {"monthly_requests"},
	"aws_wafv2_web_acl":         {"rule_group_rules", "managed_rule_group_rules", "monthly_requests"},
	"aws_ecr_repository":        {"storage_gb"},
	"aws_route53_record":        {"monthly_standard_queries"},
	"aws_s3_bucket":             {"standard.storage_gb"},
	"aws_amplify_app":           {"monthly_build_minutes", "storage_gb", "monthly_data_served_gb"},
}

// ParseUsage reads a usage file. Problems that leave the rest of the file meaningful
// (unknown keys, values that are not numbers) are returned as warnings, each with its
// line; a file that is not YAML or not version 0.1 is an error (a *UsageError).
func ParseUsage(data []byte) (*Usage, []string, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, nil, yamlUsageError(err)
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			if body != nil {
				return nil, nil, &UsageError{Line: line(doc.Body), Message: "the file holds several YAML documents: keep one"}
			}
			body = doc.Body
		}
	}
	if body == nil {
		return nil, nil, &UsageError{Line: 1, Message: "the file is empty: start it with `version: 0.1`"}
	}
	entries, ok := mapping(body)
	if !ok {
		return nil, nil, &UsageError{Line: line(body), Message: "the file is not a mapping: start it with `version: 0.1`, then `resource_usage:`"}
	}
	u := &Usage{exact: map[string]map[string]float64{}, types: map[string]map[string]float64{}}
	var warnings []string
	versionSeen := false
	for _, e := range entries {
		switch key := keyOf(e); key {
		case "version":
			if err := checkVersion(e.Value); err != nil {
				return nil, nil, err
			}
			versionSeen = true
		case "resource_usage":
			warnings = append(warnings, u.readResources(e.Value)...)
		case "resource_type_default_usage":
			warnings = append(warnings, u.readTypes(e.Value)...)
		default:
			warnings = append(warnings, fmt.Sprintf("line %d: unknown top-level key %q is ignored (known: version, resource_usage, resource_type_default_usage)", line(e), key))
		}
	}
	if !versionSeen {
		return nil, nil, &UsageError{Line: 1, Message: "the file has no version: add `version: 0.1` at the top"}
	}
	return u, warnings, nil
}

func yamlUsageError(err error) error {
	type yamlError interface {
		GetToken() *token.Token
		GetMessage() string
	}
	var ye yamlError
	if errors.As(err, &ye) {
		l := 0
		if t := ye.GetToken(); t != nil && t.Position != nil {
			l = t.Position.Line
		}
		return &UsageError{Line: l, Message: "YAML syntax error: " + ye.GetMessage()}
	}
	return &UsageError{Message: "YAML syntax error: " + err.Error()}
}

func checkVersion(n ast.Node) error {
	v := strings.TrimPrefix(scalarText(n), "v")
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0.1 {
		return nil
	}
	return &UsageError{Line: line(n), Message: fmt.Sprintf("version %q is not supported: gantry reads Infracost usage files of version 0.1", scalarText(n))}
}

func (u *Usage) readResources(n ast.Node) []string {
	entries, ok := mapping(n)
	if !ok {
		return nullOr(n, "resource_usage must map resource addresses to their usage")
	}
	var warnings []string
	for _, e := range entries {
		address := keyOf(e)
		values, ws := readValues(e.Value, resourceType(address))
		warnings = append(warnings, ws...)
		if strings.Contains(address, "[*]") {
			u.wildcards = append(u.wildcards, wildcardUsage{pattern: address, values: values})
		} else {
			u.exact[address] = values
		}
	}
	return warnings
}

func (u *Usage) readTypes(n ast.Node) []string {
	entries, ok := mapping(n)
	if !ok {
		return nullOr(n, "resource_type_default_usage must map resource types to their usage")
	}
	var warnings []string
	for _, e := range entries {
		typ := keyOf(e)
		values, ws := readValues(e.Value, typ)
		warnings = append(warnings, ws...)
		u.types[typ] = values
	}
	return warnings
}

func nullOr(n ast.Node, message string) []string {
	if _, ok := n.(*ast.NullNode); ok || n == nil {
		return nil
	}
	return []string{fmt.Sprintf("line %d: %s; this section is ignored", line(n), message)}
}

// readValues reads one resource's usage, flattening nested keys (standard.storage_gb).
func readValues(n ast.Node, typ string) (map[string]float64, []string) {
	values := map[string]float64{}
	var warnings []string
	known, typeKnown := usageKeys[typ]
	if !typeKnown {
		warnings = append(warnings, fmt.Sprintf("line %d: gantry prices no usage of %s: its usage is ignored", line(n), typ))
	}
	var walk func(n ast.Node, prefix string, depth int)
	walk = func(n ast.Node, prefix string, depth int) {
		entries, ok := mapping(n)
		if !ok {
			if _, null := n.(*ast.NullNode); !null && n != nil {
				warnings = append(warnings, fmt.Sprintf("line %d: the usage of %s must be a mapping of keys to numbers; it is ignored", line(n), typ))
			}
			return
		}
		for _, e := range entries {
			key := prefix + keyOf(e)
			if _, nested := mapping(e.Value); nested && depth < 4 {
				walk(e.Value, key+".", depth+1)
				continue
			}
			if !typeKnown {
				continue
			}
			if !slices.Contains(known, key) {
				warnings = append(warnings, fmt.Sprintf("line %d: unknown key %q for %s is ignored (known: %s)", line(e), key, typ, strings.Join(known, ", ")))
				continue
			}
			f, ok := number(e.Value)
			if !ok || f < 0 {
				warnings = append(warnings, fmt.Sprintf("line %d: %s: %q is not a number of 0 or more; it is ignored", line(e), key, scalarText(e.Value)))
				continue
			}
			values[key] = f
		}
	}
	walk(n, "", 0)
	return values, warnings
}

// lookup returns the usage of one resource, key by key from its address, the first
// matching wildcard, then its type's default.
func (u *Usage) lookup(address, typ string) map[string]float64 {
	if u == nil {
		return nil
	}
	out := map[string]float64{}
	for k, v := range u.types[typ] {
		out[k] = v
	}
	for i := len(u.wildcards) - 1; i >= 0; i-- {
		if matchWildcard(u.wildcards[i].pattern, address) {
			for k, v := range u.wildcards[i].values {
				out[k] = v
			}
		}
	}
	for k, v := range u.exact[address] {
		out[k] = v
	}
	return out
}

// matchWildcard reports whether address matches pattern, where each `[*]` of the pattern
// stands for any one instance key.
func matchWildcard(pattern, address string) bool {
	for {
		i := strings.Index(pattern, "[*]")
		if i < 0 {
			return pattern == address
		}
		if !strings.HasPrefix(address, pattern[:i]) || len(address) == i || address[i] != '[' {
			return false
		}
		end := skipKey(address, i)
		pattern, address = pattern[i+3:], address[end+1:]
	}
}

// resourceType returns the type of a resource address (modules and keys left out).
func resourceType(address string) string {
	parts := strings.Split(stripKeys(address), ".")
	for i := 0; i < len(parts); i++ {
		if parts[i] == "module" {
			i++
			continue
		}
		return parts[i]
	}
	return ""
}

func mapping(n ast.Node) ([]*ast.MappingValueNode, bool) {
	n = unwrap(n)
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

func unwrap(n ast.Node) ast.Node {
	for range 8 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

func keyOf(e *ast.MappingValueNode) string {
	if e == nil || e.Key == nil {
		return ""
	}
	if s, ok := unwrap(e.Key).(*ast.StringNode); ok {
		return s.Value
	}
	if t := e.Key.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

func scalarText(n ast.Node) string {
	n = unwrap(n)
	if n == nil {
		return ""
	}
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

func number(n ast.Node) (float64, bool) {
	n = unwrap(n)
	switch v := n.(type) {
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return float64(x), true
		case uint64:
			return float64(x), true
		}
	case *ast.FloatNode:
		return v.Value, !math.IsNaN(v.Value) && !math.IsInf(v.Value, 0)
	case *ast.StringNode:
		f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(v.Value), "_", ""), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}
