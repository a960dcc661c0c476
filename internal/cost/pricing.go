package cost

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// attrs are the values of one side (before or after) of a resource change.
type attrs struct {
	vals    map[string]any
	unknown map[string]any // after_unknown; nil on the before side
	before  bool
	rc      *tfjson.ResourceChange
	ix      *planIndex
}

func (a attrs) str(key string) string {
	s, _ := a.vals[key].(string)
	return s
}

func (a attrs) num(key string) (float64, bool) {
	switch v := a.vals[key].(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

func (a attrs) boolean(key string) bool {
	b, _ := a.vals[key].(bool)
	return b
}

func (a attrs) list(key string) []any {
	l, _ := a.vals[key].([]any)
	return l
}

// blocks returns a nested block list (`rule`, `alias`) as maps.
func (a attrs) blocks(key string) []map[string]any {
	return blockList(a.vals[key])
}

func blockList(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, b := range l {
		if m, ok := b.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// isUnknown reports whether the attribute is, wholly or in part, known only after apply.
func (a attrs) isUnknown(key string) bool {
	switch u := a.unknown[key].(type) {
	case bool:
		return u
	case []any:
		for _, x := range u {
			if b, ok := x.(bool); ok && b {
				return true
			}
		}
	}
	return false
}

// expr returns the configuration expression of a top-level attribute.
func (a attrs) expr(key string) *tfjson.Expression {
	cr := a.ix.configResource(a.rc.ModuleAddress, a.rc.Type, a.rc.Name)
	if cr == nil {
		return nil
	}
	return cr.Expressions[key]
}

// pricing collects the components of one side of one resource.
type pricing struct {
	cat       *Catalog
	region    string
	hours     float64
	usage     map[string]float64
	usageFile string
	a         attrs
	comps     []Component
	notes     []string
	unpriced  string // non-empty: the side cannot be priced, and why
}

func (est *estimator) newPricing(region string, rc *tfjson.ResourceChange, a attrs) *pricing {
	p := &pricing{cat: est.cat, region: region, hours: est.cat.HoursPerMonth, a: a}
	if est.usage != nil {
		p.usage = est.usage.lookup(rc.Address, rc.Type)
		p.usageFile = est.usage.File
		if p.usageFile == "" {
			p.usageFile = "usage file"
		}
	}
	return p
}

func (p *pricing) fail(format string, args ...any) {
	if p.unpriced == "" {
		p.unpriced = fmt.Sprintf(format, args...)
	}
}

func (p *pricing) note(format string, args ...any) {
	p.notes = append(p.notes, fmt.Sprintf(format, args...))
}

func (p *pricing) price(key string) (Price, bool) {
	pr, ok := p.cat.Price(p.region, key)
	if !ok {
		p.fail("the price catalog of %s has no price %q for %s: run `gantry prices refresh --region %s`", p.cat.EffectiveDate, key, p.region, p.region)
	}
	return pr, ok
}

// fixed adds a component of a known quantity.
func (p *pricing) fixed(name, unit, key string, quantity float64) {
	pr, ok := p.price(key)
	if !ok {
		return
	}
	p.comps = append(p.comps, Component{
		Name: name, Unit: unit, Quantity: quantity, UnitPrice: pr.USD, PriceUnit: pr.Unit,
		MonthlyCost: tieredCost(pr, quantity),
	})
}

// hourly adds a component running all month, count times over.
func (p *pricing) hourly(name, key string, count float64) {
	p.fixed(name, "hours", key, count*p.hours)
}

// usageValue returns the usage file's value of key for this resource.
func (p *pricing) usageValue(key string) (float64, bool) {
	v, ok := p.usage[key]
	return v, ok
}

// usageBased adds a component whose quantity is the usage value of usageKey times scale,
// or, without usage, one that "depends on usage".
func (p *pricing) usageBased(name, unit, key, usageKey string, scale float64) {
	v, ok := p.usageValue(usageKey)
	p.usageComponent(name, unit, key, v*scale, ok)
}

func (p *pricing) usageComponent(name, unit, key string, quantity float64, known bool) {
	pr, ok := p.price(key)
	if !ok {
		return
	}
	c := Component{Name: name, Unit: unit, UnitPrice: pr.USD, PriceUnit: pr.Unit, UsageBased: true}
	if known {
		c.Quantity, c.MonthlyCost, c.UsageKnown, c.UsageSource = quantity, tieredCost(pr, quantity), true, p.usageFile
	}
	p.comps = append(p.comps, c)
}

// tieredCost prices quantity through the price's tiers: each tier prices the slice of the
// quantity between the previous tier's bound and its own.
func tieredCost(pr Price, quantity float64) float64 {
	if len(pr.Tiers) == 0 {
		return quantity * pr.USD
	}
	var cost, lower float64
	for _, t := range pr.Tiers {
		upper := t.UpTo
		if upper == 0 || upper <= lower {
			upper = math.Inf(1)
		}
		if quantity <= lower {
			break
		}
		cost += (math.Min(quantity, upper) - lower) * t.USD
		lower = upper
	}
	return cost
}
