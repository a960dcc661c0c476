package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// ErrNotPlan is wrapped by the errors of Estimate and Compare when their input is not a
// `terraform show -json` plan.
var ErrNotPlan = errors.New("not a Terraform plan")

const howToMakePlan = "pass the output of `terraform show -json PLANFILE`"

// decodePlan checks that the input looks like a plan before handing it to terraform-json,
// whose own errors do not say what the input should have been.
func decodePlan(planJSON []byte) (*tfjson.Plan, error) {
	if len(bytes.TrimSpace(planJSON)) == 0 {
		return nil, fmt.Errorf("%w: the input is empty: %s", ErrNotPlan, howToMakePlan)
	}
	var head struct {
		FormatVersion *string         `json:"format_version"`
		PlannedValues json.RawMessage `json:"planned_values"`
		Values        json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(planJSON, &head); err != nil {
		return nil, fmt.Errorf("%w: the input is not a JSON object (%v): %s", ErrNotPlan, err, howToMakePlan)
	}
	switch {
	case head.FormatVersion == nil:
		return nil, fmt.Errorf("%w: it has no format_version: %s", ErrNotPlan, howToMakePlan)
	case head.PlannedValues == nil && head.Values != nil:
		return nil, fmt.Errorf("%w: this is a state, not a plan (`terraform show -json` was run without a plan file): %s", ErrNotPlan, howToMakePlan)
	}
	if major, _, _ := strings.Cut(*head.FormatVersion, "."); major != "1" {
		return nil, fmt.Errorf("%w: plan format %q is not supported: gantry reads format 1.x, written by Terraform 1.0 and later", ErrNotPlan, *head.FormatVersion)
	}
	var p tfjson.Plan
	if err := json.Unmarshal(planJSON, &p); err != nil {
		return nil, fmt.Errorf("%w: %v: %s", ErrNotPlan, err, howToMakePlan)
	}
	return &p, nil
}

// planIndex finds resource instances, their configuration and their module's
// configuration, so that values unknown at plan time can be followed to where they come from.
type planIndex struct {
	plan *tfjson.Plan
	// byResource maps a resource address without instance key ("module.network.aws_subnet.private")
	// to its instances, in plan order. Deposed objects are left out.
	byResource map[string][]*tfjson.ResourceChange
	// moduleInstances maps a module address without keys ("module.network") to the module
	// instance addresses of the plan ("module.network[0]").
	moduleInstances map[string][]string
	// configs maps a module address without keys ("" for the root) to its configuration.
	configs map[string]*tfjson.ConfigModule
	// calls maps a module address without keys to the call that made it in its parent.
	calls map[string]*tfjson.ModuleCall
	// taskDefsByARN maps the ARN of a task definition (before or after) to its change.
	taskDefsByARN map[string]taskDefSide
}

type taskDefSide struct {
	rc     *tfjson.ResourceChange
	before bool
}

func newPlanIndex(p *tfjson.Plan) *planIndex {
	ix := &planIndex{
		plan:            p,
		byResource:      map[string][]*tfjson.ResourceChange{},
		moduleInstances: map[string][]string{},
		configs:         map[string]*tfjson.ConfigModule{},
		calls:           map[string]*tfjson.ModuleCall{},
		taskDefsByARN:   map[string]taskDefSide{},
	}
	seenModule := map[string]bool{}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Mode != tfjson.ManagedResourceMode || rc.DeposedKey != "" {
			continue
		}
		key := joinAddress(rc.ModuleAddress, rc.Type+"."+rc.Name)
		ix.byResource[key] = append(ix.byResource[key], rc)
		if rc.ModuleAddress != "" && !seenModule[rc.ModuleAddress] {
			for _, inst := range modulePrefixes(rc.ModuleAddress) {
				if !seenModule[inst] {
					seenModule[inst] = true
					noKeys := stripKeys(inst)
					ix.moduleInstances[noKeys] = append(ix.moduleInstances[noKeys], inst)
				}
			}
		}
		if rc.Type == "aws_ecs_task_definition" && rc.Change != nil {
			if arn, ok := asMap(rc.Change.Before)["arn"].(string); ok && arn != "" {
				ix.taskDefsByARN[arn] = taskDefSide{rc: rc, before: true}
			}
			if arn, ok := asMap(rc.Change.After)["arn"].(string); ok && arn != "" {
				ix.taskDefsByARN[arn] = taskDefSide{rc: rc}
			}
		}
	}
	if p.Config != nil && p.Config.RootModule != nil {
		ix.addModule("", p.Config.RootModule, 0)
	}
	return ix
}

// maxModuleDepth bounds the walk of a configuration crafted to nest without end.
const maxModuleDepth = 64

func (ix *planIndex) addModule(addr string, m *tfjson.ConfigModule, depth int) {
	if m == nil || depth > maxModuleDepth {
		return
	}
	ix.configs[addr] = m
	for name, call := range m.ModuleCalls {
		if call == nil {
			continue
		}
		child := joinAddress(addr, "module."+name)
		ix.calls[child] = call
		ix.addModule(child, call.Module, depth+1)
	}
}

// configResource returns the configuration of the resource typ.name in the module instance
// moduleAddr.
func (ix *planIndex) configResource(moduleAddr, typ, name string) *tfjson.ConfigResource {
	m := ix.configs[stripKeys(moduleAddr)]
	if m == nil {
		return nil
	}
	for _, r := range m.Resources {
		if r != nil && r.Mode == tfjson.ManagedResourceMode && r.Type == typ && r.Name == name {
			return r
		}
	}
	return nil
}

func joinAddress(module, rest string) string {
	if module == "" {
		return rest
	}
	return module + "." + rest
}

// stripKeys removes instance keys from a module address:
// `module.a["x"].module.b[0]` → `module.a.module.b`.
func stripKeys(addr string) string {
	if !strings.Contains(addr, "[") {
		return addr
	}
	var b strings.Builder
	for i := 0; i < len(addr); i++ {
		if addr[i] != '[' {
			b.WriteByte(addr[i])
			continue
		}
		i = skipKey(addr, i)
	}
	return b.String()
}

// skipKey returns the index of the `]` closing the key that opens at s[i] (or len(s)-1).
func skipKey(s string, i int) int {
	inString := false
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case !inString && c == ']':
			return j
		}
	}
	return len(s) - 1
}

// modulePrefixes lists a module instance address and the addresses of the module
// instances containing it: `module.a[0].module.b` → `module.a[0]`, `module.a[0].module.b`.
func modulePrefixes(addr string) []string {
	var out []string
	for i := 0; i < len(addr); i++ {
		switch {
		case addr[i] == '[':
			i = skipKey(addr, i)
		case strings.HasPrefix(addr[i:], ".module."):
			out = append(out, addr[:i])
		}
	}
	return append(out, addr)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
