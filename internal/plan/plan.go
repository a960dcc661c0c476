// Package plan reads the JSON form of a Terraform plan (`terraform show -json PLANFILE`) and
// summarises it the way Terraform's own output does: how many resources are added, changed,
// destroyed and imported, which resource instances change and how, and which are destroyed.
// The summary also yields a fingerprint for telling whether two plans would make the same
// changes.
package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// ErrNotPlan is wrapped by every error Summarize returns: the input is not a plan gantry can read.
var ErrNotPlan = errors.New("not a `terraform show -json` plan")

// howToMake ends every ErrNotPlan message, so the reader knows what input is expected.
const howToMake = "create one with `terraform plan -out=tfplan` and `terraform show -json tfplan`"

// Action is what Terraform does to one resource instance.
type Action string

// The actions of a resource change. Replace covers both orders Terraform knows
// (destroy then create, and create then destroy).
const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
	Read    Action = "read"
	NoOp    Action = "no-op"
)

// Change is one resource instance in the plan.
type Change struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Action  Action `json:"action"`
	// Deposed names a deposed object (left over from a failed create-before-destroy
	// replacement) that the change applies to instead of the current one.
	Deposed string `json:"deposed,omitempty"`
	// PreviousAddress is set when a moved block gives the instance a new address.
	PreviousAddress string `json:"previous_address,omitempty"`
	// Importing is set when the plan imports an existing object into this address.
	Importing bool `json:"importing,omitempty"`
}

// Label is the address as Terraform's output names the instance, with a deposed object
// identified.
func (c Change) Label() string {
	if c.Deposed != "" {
		return fmt.Sprintf("%s (deposed object %s)", c.Address, c.Deposed)
	}
	return c.Address
}

// OutputChange is a root module output whose value the plan changes.
type OutputChange struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
}

// Summary is what a reader of the plan needs first.
type Summary struct {
	// TerraformVersion is the version that made the plan.
	TerraformVersion string
	// Counts as in Terraform's "Plan:" line: a replacement is one add and one destroy.
	Add, Change, Destroy, Import int
	// Changes lists the instances Terraform's output shows, in the order it shows them:
	// every change but plain no-ops (a no-op that imports or moves an instance is listed).
	Changes []Change
	// Destroyed lists the instances that are deleted or replaced, in the same order.
	Destroyed []string
	// OutputChanges lists the root outputs that change, by name.
	OutputChanges []OutputChange
}

// Summarize reads the output of `terraform show -json PLANFILE` (plan format 1.x).
func Summarize(planJSON []byte) (*Summary, error) {
	p, err := decode(planJSON)
	if err != nil {
		return nil, err
	}
	s := &Summary{TerraformVersion: p.TerraformVersion}
	for _, rc := range p.ResourceChanges {
		c, ok := change(rc)
		if !ok {
			continue
		}
		s.count(c)
		s.Changes = append(s.Changes, c)
	}
	sortChanges(s.Changes)
	for _, c := range s.Changes {
		if c.Action == Delete || c.Action == Replace {
			s.Destroyed = append(s.Destroyed, c.Label())
		}
	}
	for name, oc := range p.OutputChanges {
		if oc == nil || oc.Actions.NoOp() {
			continue
		}
		s.OutputChanges = append(s.OutputChanges, OutputChange{Name: name, Action: action(oc.Actions)})
	}
	sort.Slice(s.OutputChanges, func(i, j int) bool { return s.OutputChanges[i].Name < s.OutputChanges[j].Name })
	return s, nil
}

// decode checks that the input is a plan before handing it to terraform-json, whose own
// errors do not say what the input should have been.
func decode(planJSON []byte) (*tfjson.Plan, error) {
	if len(bytes.TrimSpace(planJSON)) == 0 {
		return nil, fmt.Errorf("%w: the input is empty: %s", ErrNotPlan, howToMake)
	}
	var head struct {
		FormatVersion *string         `json:"format_version"`
		PlannedValues json.RawMessage `json:"planned_values"`
		Values        json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(planJSON, &head); err != nil {
		return nil, fmt.Errorf("%w: the input is not a JSON object (%v): %s", ErrNotPlan, err, howToMake)
	}
	switch {
	case head.FormatVersion == nil:
		return nil, fmt.Errorf("%w: it has no format_version: %s", ErrNotPlan, howToMake)
	case head.PlannedValues == nil && head.Values != nil:
		return nil, fmt.Errorf("%w: this is a state, not a plan (`terraform show -json` was run without a plan file): %s", ErrNotPlan, howToMake)
	case head.PlannedValues == nil:
		return nil, fmt.Errorf("%w: it has no planned_values: %s", ErrNotPlan, howToMake)
	}
	if major, _, _ := strings.Cut(*head.FormatVersion, "."); major != "1" {
		return nil, fmt.Errorf("%w: plan format %q is not supported: gantry reads format 1.x, written by Terraform 1.0 and later; create the plan with a Terraform 1.x", ErrNotPlan, *head.FormatVersion)
	}
	var p tfjson.Plan
	if err := json.Unmarshal(planJSON, &p); err != nil {
		return nil, fmt.Errorf("%w: %v: %s", ErrNotPlan, err, howToMake)
	}
	return &p, nil
}

// change converts one resource change, leaving out what Terraform's output leaves out:
// plain no-ops and the deletion of data sources from state.
func change(rc *tfjson.ResourceChange) (Change, bool) {
	if rc == nil || rc.Change == nil {
		return Change{}, false
	}
	a := action(rc.Change.Actions)
	importing := rc.Change.Importing != nil
	moved := rc.PreviousAddress != "" && rc.PreviousAddress != rc.Address
	if a == NoOp && !importing && !moved {
		return Change{}, false
	}
	if a == Delete && rc.Mode != tfjson.ManagedResourceMode {
		return Change{}, false
	}
	c := Change{Address: rc.Address, Type: rc.Type, Action: a, Deposed: rc.DeposedKey, Importing: importing}
	if moved {
		c.PreviousAddress = rc.PreviousAddress
	}
	return c, true
}

func action(a tfjson.Actions) Action {
	switch {
	case a.Create():
		return Create
	case a.Update():
		return Update
	case a.Delete():
		return Delete
	case a.Replace():
		return Replace
	case a.Read():
		return Read
	default:
		return NoOp
	}
}

func (s *Summary) count(c Change) {
	if c.Importing {
		s.Import++
	}
	switch c.Action {
	case Create:
		s.Add++
	case Update:
		s.Change++
	case Delete:
		s.Destroy++
	case Replace:
		s.Add++
		s.Destroy++
	}
}

// HasChanges reports whether applying the plan would change anything, resources or
// outputs: false exactly when Terraform says "No changes.".
func (s *Summary) HasChanges() bool {
	return len(s.Changes) > 0 || len(s.OutputChanges) > 0
}

// Line is Terraform's own summary of the plan: "Plan: 1 to add, 0 to change, 0 to destroy."
// (with "N to import, " first when the plan imports), "No changes.", or, when only outputs
// change and Terraform prints no such line, "Changes to Outputs.".
func (s *Summary) Line() string {
	return s.Format(strconv.Itoa)
}

// Format is Line with the counts written by num, for example with thousands separators.
func (s *Summary) Format(num func(int) string) string {
	switch {
	case len(s.Changes) > 0 && s.Import > 0:
		return fmt.Sprintf("Plan: %s to import, %s to add, %s to change, %s to destroy.", num(s.Import), num(s.Add), num(s.Change), num(s.Destroy))
	case len(s.Changes) > 0:
		return fmt.Sprintf("Plan: %s to add, %s to change, %s to destroy.", num(s.Add), num(s.Change), num(s.Destroy))
	case len(s.OutputChanges) > 0:
		return "Changes to Outputs."
	default:
		return "No changes."
	}
}

// Fingerprint is a deterministic JSON encoding of what the plan would do: each resource
// instance it creates, updates, deletes or replaces, with the action, sorted. Two plans with
// equal fingerprints make the same changes. Reads of data sources, imports without changes
// and moves are left out: they change no infrastructure.
func (s *Summary) Fingerprint() []byte {
	type entry struct {
		Address string `json:"address"`
		Deposed string `json:"deposed,omitempty"`
		Action  Action `json:"action"`
	}
	entries := []entry{}
	for _, c := range s.Changes {
		if c.Action == Read || c.Action == NoOp {
			continue
		}
		entries = append(entries, entry{Address: c.Address, Deposed: c.Deposed, Action: c.Action})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Address != entries[j].Address {
			return entries[i].Address < entries[j].Address
		}
		return entries[i].Deposed < entries[j].Deposed
	})
	b, err := json.Marshal(entries)
	if err != nil {
		// Marshalling strings cannot fail.
		panic(err)
	}
	return b
}
