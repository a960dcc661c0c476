package cost

import (
	"fmt"
	"strings"
	"testing"
)

// The unit tests price small hand-written plans in Terraform's format 1.2. These helpers
// only write the envelope around the resource values each test spells out.

// planOf wraps resource changes (JSON objects) and an optional configuration (a JSON
// object, or "") into a plan.
func planOf(t *testing.T, configuration string, changes ...string) []byte {
	t.Helper()
	if configuration == "" {
		configuration = `{"root_module": {}}`
	}
	return fmt.Appendf(nil, `{"format_version": "1.2", "terraform_version": "1.5.7",
 "planned_values": {"root_module": {}},
 "resource_changes": [%s],
 "configuration": %s}`, strings.Join(changes, ",\n"), configuration)
}

// change writes one resource change. before and after are JSON objects or "null";
// afterUnknown is a JSON object or "".
func change(address, actions, before, after, afterUnknown string) string {
	if afterUnknown == "" {
		afterUnknown = "{}"
	}
	module, typ, name, index := splitTestAddress(address)
	indexField := ""
	if index != "" {
		indexField = fmt.Sprintf(`"index": %s,`, index)
	}
	moduleField := ""
	if module != "" {
		moduleField = fmt.Sprintf(`"module_address": %q,`, module)
	}
	return fmt.Sprintf(`{"address": %q, %s "mode": "managed", "type": %q, "name": %q, %s
  "provider_name": "registry.terraform.io/hashicorp/aws",
  "change": {"actions": %s, "before": %s, "after": %s, "after_unknown": %s}}`,
		address, moduleField, typ, name, indexField, actions, before, after, afterUnknown)
}

func create(address, after string) string {
	return change(address, `["create"]`, "null", after, "")
}

func noop(address, values string) string {
	return change(address, `["no-op"]`, values, values, "")
}

func remove(address, before string) string {
	return change(address, `["delete"]`, before, "null", "")
}

// splitTestAddress splits the simple addresses the tests use:
// `module.m.aws_x.y[0]` → "module.m", "aws_x", "y", "0".
func splitTestAddress(address string) (module, typ, name, index string) {
	rest := address
	for strings.HasPrefix(rest, "module.") {
		parts := strings.SplitN(rest, ".", 3)
		module = strings.TrimPrefix(module+"."+parts[0]+"."+parts[1], ".")
		rest = parts[2]
	}
	typ, name, _ = strings.Cut(rest, ".")
	if i := strings.IndexByte(name, '['); i >= 0 {
		index = strings.Trim(name[i:], "[]")
		name = name[:i]
	}
	return module, typ, name, index
}

func mustUsage(t *testing.T, yaml string) *Usage {
	t.Helper()
	u, warnings, err := ParseUsage([]byte(yaml))
	if err != nil {
		t.Fatalf("usage file: %v", err)
	}
	if len(warnings) > 0 {
		t.Fatalf("usage file warnings: %v", warnings)
	}
	u.File = "cost-usage.yml"
	return u
}

func mustEstimate(t *testing.T, plan []byte, usage *Usage) *Estimate {
	t.Helper()
	e, err := EstimatePlan(plan, Options{Usage: usage})
	if err != nil {
		t.Fatalf("EstimatePlan: %v", err)
	}
	return e
}

func resourceByAddress(t *testing.T, e *Estimate, address string) Resource {
	t.Helper()
	for _, r := range e.Resources {
		if r.Address == address {
			return r
		}
	}
	t.Fatalf("no priced resource %s; free: %v; unpriced: %v", address, e.Free, e.UnpricedDetails)
	return Resource{}
}
