package cost

import (
	"encoding/json"
	"math"
)

// Estimate is the monthly cost of a plan before and after it is applied. It is what
// `gantry cost --format json` prints: one object whose field names are stable across
// versions (fields may be added, never renamed). Money is in Currency, at full precision;
// it is rounded to cents only when printed as text.
//
//	{"currency": "USD", "hours_per_month": 730, "catalog_date": "2026-11-01",
//	 "monthly_before": 210.4, "monthly_after": 177.55, "monthly_delta": -32.85, "percent_delta": -15.6,
//	 "resources": [{"address": "module.network.aws_nat_gateway.this[1]", "type": "aws_nat_gateway",
//	                "action": "delete", "monthly_before": 32.85, "monthly_after": 0, "monthly_delta": -32.85,
//	                "components": [{"name": "NAT gateway", "unit": "hours", "quantity": 730,
//	                                "unit_price": 0.045, "price_unit": "hour", "monthly_cost": 32.85,
//	                                "usage_based": false}]}],
//	 "free": ["aws_iam_role.task"], "unpriced": ["aws_gamelift_fleet.game"], "usage_unknown": [...]}
//
// percent_delta is absent when either side is zero. resources lists every priced resource
// of the plan, unchanged ones included (action "no-op"); free and unpriced resources are
// listed by address only, with the reasons for the unpriced ones in unpriced_details.
// usage_unknown lists the resources with a usage-priced component for which no usage was
// given: their cost is not in the totals.
type Estimate struct {
	Currency      string  `json:"currency"`
	HoursPerMonth float64 `json:"hours_per_month"`
	CatalogDate   string  `json:"catalog_date"`
	MonthlyBefore float64 `json:"monthly_before"`
	MonthlyAfter  float64 `json:"monthly_after"`
	MonthlyDelta  float64 `json:"monthly_delta"`
	// PercentDelta is the change relative to MonthlyBefore, in percent; nil when either
	// side is zero, where a percentage says nothing useful.
	PercentDelta *float64   `json:"percent_delta,omitempty"`
	Resources    []Resource `json:"resources"`
	Free         []string   `json:"free"`
	Unpriced     []string   `json:"unpriced"`
	UsageUnknown []string   `json:"usage_unknown"`
	// UnpricedDetails says why each unpriced resource has no price.
	UnpricedDetails []UnpricedResource `json:"unpriced_details"`
	// UsageFile names the usage file the usage-priced components were computed from.
	UsageFile string `json:"usage_file,omitempty"`
}

// Resource is the cost of one resource instance before and after the plan.
type Resource struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	// Action is create, delete, update, replace, no-op (or, for Compare, how the address
	// differs between the two plans).
	Action        string  `json:"action"`
	MonthlyBefore float64 `json:"monthly_before"`
	MonthlyAfter  float64 `json:"monthly_after"`
	MonthlyDelta  float64 `json:"monthly_delta"`
	// Components are the resource's billable parts after the plan, or before it when the
	// plan deletes the resource.
	Components []Component `json:"components"`
	// ComponentsBefore are the parts before the plan when the resource exists on both sides
	// and they differ.
	ComponentsBefore []Component `json:"components_before,omitempty"`
	// Notes explain assumptions made pricing the resource.
	Notes []string `json:"notes,omitempty"`

	before, after []Component
}

// Component is one billable part of a resource: a quantity of a unit at a unit price.
type Component struct {
	Name string `json:"name"`
	// Unit is the unit of Quantity ("hours", "GB", "vCPU-hours").
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
	// UnitPrice is the price of one PriceUnit; for a tiered price, the first tier's.
	UnitPrice float64 `json:"unit_price"`
	PriceUnit string  `json:"price_unit"`
	// MonthlyCost is Quantity priced (through the tiers, if any).
	MonthlyCost float64 `json:"monthly_cost"`
	// UsageBased components are priced from the usage file; without usage their quantity
	// and cost are unknown (null in JSON) and the component reads "depends on usage".
	UsageBased bool `json:"usage_based"`
	// UsageKnown is true when a usage-based component's quantity came from the usage file.
	UsageKnown bool `json:"-"`
	// UsageSource names the usage file the quantity came from.
	UsageSource string `json:"usage_source,omitempty"`
}

// MarshalJSON writes quantity and monthly_cost as null for usage-based components whose
// usage is unknown, so that no script mistakes them for a cost of zero.
func (c Component) MarshalJSON() ([]byte, error) {
	out := struct {
		Name        string   `json:"name"`
		Unit        string   `json:"unit"`
		Quantity    *float64 `json:"quantity"`
		UnitPrice   float64  `json:"unit_price"`
		PriceUnit   string   `json:"price_unit"`
		MonthlyCost *float64 `json:"monthly_cost"`
		UsageBased  bool     `json:"usage_based"`
		UsageSource string   `json:"usage_source,omitempty"`
	}{Name: c.Name, Unit: c.Unit, UnitPrice: c.UnitPrice, PriceUnit: c.PriceUnit, UsageBased: c.UsageBased, UsageSource: c.UsageSource}
	if !c.UnknownUsage() {
		out.Quantity, out.MonthlyCost = &c.Quantity, &c.MonthlyCost
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, so that estimates can be stored and read back.
func (c *Component) UnmarshalJSON(data []byte) error {
	var in struct {
		Name        string   `json:"name"`
		Unit        string   `json:"unit"`
		Quantity    *float64 `json:"quantity"`
		UnitPrice   float64  `json:"unit_price"`
		PriceUnit   string   `json:"price_unit"`
		MonthlyCost *float64 `json:"monthly_cost"`
		UsageBased  bool     `json:"usage_based"`
		UsageSource string   `json:"usage_source"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*c = Component{Name: in.Name, Unit: in.Unit, UnitPrice: in.UnitPrice, PriceUnit: in.PriceUnit, UsageBased: in.UsageBased, UsageSource: in.UsageSource}
	if in.Quantity != nil && in.MonthlyCost != nil {
		c.Quantity, c.MonthlyCost, c.UsageKnown = *in.Quantity, *in.MonthlyCost, in.UsageBased
	}
	return nil
}

// UnknownUsage reports whether the component is usage-based and no usage was given.
func (c Component) UnknownUsage() bool { return c.UsageBased && !c.UsageKnown }

// UnpricedResource is a resource gantry cannot price, and why.
type UnpricedResource struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Reason  string `json:"reason"`
}

// Exceeds reports whether the plan raises the monthly cost by more than maxIncrease.
func (e *Estimate) Exceeds(maxIncrease float64) bool {
	return e != nil && e.MonthlyDelta > maxIncrease
}

// JSON returns the estimate as `gantry cost --format json` prints it, indented.
func (e *Estimate) JSON() ([]byte, error) {
	return json.MarshalIndent(e, "", "  ")
}

func newEstimate(cat *Catalog) *Estimate {
	return &Estimate{
		Currency:        cat.Currency,
		HoursPerMonth:   cat.HoursPerMonth,
		CatalogDate:     cat.EffectiveDate,
		Resources:       []Resource{},
		Free:            []string{},
		Unpriced:        []string{},
		UsageUnknown:    []string{},
		UnpricedDetails: []UnpricedResource{},
	}
}

// addResource records a priced resource and its share of the totals.
func (e *Estimate) addResource(r Resource) {
	r.MonthlyBefore = sumCost(r.before)
	r.MonthlyAfter = sumCost(r.after)
	r.MonthlyDelta = r.MonthlyAfter - r.MonthlyBefore
	if r.after != nil {
		r.Components = r.after
		if r.before != nil && !sameComponents(r.before, r.after) {
			r.ComponentsBefore = r.before
		}
	} else {
		r.Components = r.before
	}
	if r.Components == nil {
		r.Components = []Component{}
	}
	if hasUnknownUsage(r.before) || hasUnknownUsage(r.after) {
		e.UsageUnknown = append(e.UsageUnknown, r.Address)
	}
	e.MonthlyBefore += r.MonthlyBefore
	e.MonthlyAfter += r.MonthlyAfter
	e.Resources = append(e.Resources, r)
}

func (e *Estimate) addUnpriced(address, typ, reason string) {
	e.Unpriced = append(e.Unpriced, address)
	e.UnpricedDetails = append(e.UnpricedDetails, UnpricedResource{Address: address, Type: typ, Reason: reason})
}

// finish computes the delta and the percentage once every resource is in.
func (e *Estimate) finish() {
	e.MonthlyDelta = e.MonthlyAfter - e.MonthlyBefore
	e.PercentDelta = percent(e.MonthlyBefore, e.MonthlyAfter)
}

// percent is the change from before to after in percent, nil when a side is zero (within
// floating-point noise) since a percentage of nothing or to nothing says nothing.
func percent(before, after float64) *float64 {
	if math.Abs(before) < 0.005 || math.Abs(after) < 0.005 {
		return nil
	}
	p := (after - before) / before * 100
	return &p
}

func sumCost(cs []Component) float64 {
	var total float64
	for _, c := range cs {
		total += c.MonthlyCost
	}
	return total
}

func hasUnknownUsage(cs []Component) bool {
	for _, c := range cs {
		if c.UnknownUsage() {
			return true
		}
	}
	return false
}

func sameComponents(a, b []Component) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ComponentChange is one component of a resource that the plan adds, removes or changes.
type ComponentChange struct {
	Name string
	// Before and After are nil on the side where the component does not exist.
	Before, After *Component
}

// Changes lists the components that differ between before and after, in the order they
// appear (after-side order first, then components only before).
func (r Resource) Changes() []ComponentChange {
	var before, after []Component
	switch r.Action {
	case "delete":
		before = r.Components
	case "create":
		after = r.Components
	default:
		if r.ComponentsBefore == nil {
			return nil
		}
		before, after = r.ComponentsBefore, r.Components
	}
	byName := map[string]*Component{}
	for i := range before {
		byName[before[i].Name] = &before[i]
	}
	var out []ComponentChange
	seen := map[string]bool{}
	for i := range after {
		a := &after[i]
		seen[a.Name] = true
		b := byName[a.Name]
		if b == nil || *b != *a {
			out = append(out, ComponentChange{Name: a.Name, Before: b, After: a})
		}
	}
	for i := range before {
		if !seen[before[i].Name] {
			out = append(out, ComponentChange{Name: before[i].Name, Before: &before[i]})
		}
	}
	return out
}
