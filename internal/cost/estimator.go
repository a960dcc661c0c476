package cost

import (
	"fmt"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Options are the inputs of EstimatePlan and Compare besides the plan.
type Options struct {
	// Catalog holds the prices; nil means the embedded catalog.
	Catalog *Catalog
	// Usage gives the quantities of usage-priced components; nil means none is known.
	Usage *Usage
	// Region is where resources are when their provider configuration does not say;
	// empty means us-east-1.
	Region string
}

// EstimatePlan prices the resources of a `terraform show -json` plan before and after it is
// applied. Resources that cost nothing are listed as free and those gantry cannot price
// as unpriced, with the reason; none is left out.
func EstimatePlan(planJSON []byte, opts Options) (*Estimate, error) {
	p, err := decodePlan(planJSON)
	if err != nil {
		return nil, err
	}
	est := newEstimator(p, opts)
	e := newEstimate(est.cat)
	if opts.Usage != nil {
		e.UsageFile = opts.Usage.File
	}
	for _, rc := range p.ResourceChanges {
		est.add(e, rc)
	}
	e.finish()
	return e, nil
}

type estimator struct {
	cat           *Catalog
	usage         *Usage
	defaultRegion string
	ix            *planIndex
	regions       map[string]string // provider config key → region
	// afterOnly prices only the state after the plan (for Compare).
	afterOnly bool
}

func newEstimator(p *tfjson.Plan, opts Options) *estimator {
	est := &estimator{cat: opts.Catalog, usage: opts.Usage, defaultRegion: opts.Region, regions: map[string]string{}}
	if est.cat == nil {
		est.cat = Embedded()
	}
	if est.defaultRegion == "" {
		est.defaultRegion = DefaultRegion
	}
	est.ix = newPlanIndex(p)
	return est
}

func (est *estimator) add(e *Estimate, rc *tfjson.ResourceChange) {
	if rc == nil || rc.Change == nil || rc.Mode != tfjson.ManagedResourceMode {
		return
	}
	address := rc.Address
	if rc.DeposedKey != "" {
		address += " (deposed " + rc.DeposedKey + ")"
	}
	if est.afterOnly && (rc.Change.After == nil || rc.Change.Actions.Delete()) {
		return // gone after the plan
	}
	if isFree(rc.Type) {
		e.Free = append(e.Free, address)
		return
	}
	pr, ok := pricers[rc.Type]
	if !ok {
		e.addUnpriced(address, rc.Type, fmt.Sprintf("gantry's price catalog does not cover %s", rc.Type))
		return
	}
	region := est.region(rc)
	if !est.cat.HasRegion(region) {
		e.addUnpriced(address, rc.Type, fmt.Sprintf("the price catalog of %s has no prices for %s: run `gantry prices refresh --region %s`", est.cat.EffectiveDate, region, region))
		return
	}
	r := Resource{Address: address, Type: rc.Type, Action: actionName(rc.Change.Actions)}
	var notes []string
	beforeVals, afterVals := asMap(rc.Change.Before), asMap(rc.Change.After)
	if beforeVals != nil && !rc.Change.Actions.Create() && !est.afterOnly {
		p := est.newPricing(region, rc, attrs{vals: beforeVals, before: true, rc: rc, ix: est.ix})
		pr(p)
		if p.unpriced != "" {
			e.addUnpriced(address, rc.Type, p.unpriced)
			return
		}
		r.before, notes = nonNil(p.comps), p.notes
	}
	if afterVals != nil && !rc.Change.Actions.Delete() {
		p := est.newPricing(region, rc, attrs{vals: afterVals, unknown: asMap(rc.Change.AfterUnknown), rc: rc, ix: est.ix})
		pr(p)
		if p.unpriced != "" {
			e.addUnpriced(address, rc.Type, p.unpriced)
			return
		}
		r.after, notes = nonNil(p.comps), mergeNotes(notes, p.notes)
	}
	if len(r.before) == 0 && len(r.after) == 0 {
		e.Free = append(e.Free, address)
		return
	}
	r.Notes = dedupStrings(notes)
	e.addResource(r)
}

// mergeNotes keeps the notes of both sides, marking those true only before the plan.
func mergeNotes(before, after []string) []string {
	out := make([]string, 0, len(before)+len(after))
	for _, n := range before {
		if !slices.Contains(after, n) {
			out = append(out, "before the plan: "+n)
		}
	}
	return append(out, after...)
}

func nonNil(cs []Component) []Component {
	if cs == nil {
		return []Component{}
	}
	return cs
}

func dedupStrings(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func actionName(a tfjson.Actions) string {
	switch {
	case a.Replace():
		return "replace"
	case a.Create():
		return "create"
	case a.Delete():
		return "delete"
	case a.Update():
		return "update"
	case a.NoOp():
		return "no-op"
	case a.Read():
		return "read"
	case a.Forget():
		return "forget"
	}
	parts := make([]string, len(a))
	for i, x := range a {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}

// region is where the resource's provider configuration puts it.
func (est *estimator) region(rc *tfjson.ResourceChange) string {
	key := "aws"
	if cr := est.ix.configResource(rc.ModuleAddress, rc.Type, rc.Name); cr != nil && cr.ProviderConfigKey != "" {
		key = cr.ProviderConfigKey
	}
	if r, ok := est.regions[key]; ok {
		return r
	}
	r := est.providerRegion(key)
	est.regions[key] = r
	return r
}

func (est *estimator) providerRegion(key string) string {
	p := est.ix.plan
	if p.Config == nil {
		return est.defaultRegion
	}
	pc := p.Config.ProviderConfigs[key]
	if pc == nil {
		// Keys of providers inherited by modules carry the module path ("network:aws").
		if i := strings.LastIndex(key, ":"); i >= 0 {
			pc = p.Config.ProviderConfigs[key[i+1:]]
		}
	}
	if pc == nil {
		return est.defaultRegion
	}
	if v, ok := est.ix.value(moduleOfProvider(pc), pc.Expressions["region"], 0); ok {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return est.defaultRegion
}

func moduleOfProvider(pc *tfjson.ProviderConfig) string {
	return pc.ModuleAddress
}
