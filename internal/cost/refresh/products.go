package refresh

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/classla/gantry/internal/cost"
)

// offer is one OnDemand term of one product, reduced to what a catalog price needs.
type offer struct {
	sku       string
	usagetype string
	dims      []dimension // ascending by begin
	effective time.Time
}

// dimension is one priceDimensions entry: USD per unit for the quantity in [begin, end).
type dimension struct {
	unit       string
	begin, end float64 // end is +Inf for the last tier
	usd        float64
}

// fetch returns every offer GetProducts lists for serviceCode and filters, over all pages.
func fetch(ctx context.Context, client pricing.GetProductsAPIClient, serviceCode string, filters map[string]string) ([]offer, error) {
	in := &pricing.GetProductsInput{
		ServiceCode:   aws.String(serviceCode),
		FormatVersion: aws.String("aws_v1"),
		MaxResults:    aws.Int32(100),
	}
	for _, field := range sortedKeys(filters) {
		in.Filters = append(in.Filters, types.Filter{
			Type: types.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(filters[field]),
		})
	}
	var offers []offer
	pages := pricing.NewGetProductsPaginator(client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, explain(err)
		}
		for _, doc := range page.PriceList {
			parsed, err := parseOffers(doc)
			if err != nil {
				return nil, fmt.Errorf("reading a %s product from the Price List API: %w", serviceCode, err)
			}
			offers = append(offers, parsed...)
		}
	}
	return offers, nil
}

// priceDocument is the part of a PriceList entry gantry reads (AWS's "aws_v1" format).
type priceDocument struct {
	Product struct {
		SKU        string            `json:"sku"`
		Attributes map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			EffectiveDate   string `json:"effectiveDate"`
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// parseOffers reads a product's OnDemand terms; a product with none (reserved only) has no offer.
func parseOffers(doc string) ([]offer, error) {
	var d priceDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("it is not an aws_v1 product document: %w", err)
	}
	var offers []offer
	for _, termCode := range sortedKeys(d.Terms.OnDemand) {
		term := d.Terms.OnDemand[termCode]
		o := offer{sku: d.Product.SKU, usagetype: d.Product.Attributes["usagetype"]}
		if term.EffectiveDate != "" {
			t, err := time.Parse(time.RFC3339, term.EffectiveDate)
			if err != nil {
				return nil, fmt.Errorf("SKU %s: effectiveDate %q is not a timestamp", o.sku, term.EffectiveDate)
			}
			o.effective = t
		}
		for _, rate := range sortedKeys(term.PriceDimensions) {
			pd := term.PriceDimensions[rate]
			dim, err := parseDimension(pd.Unit, pd.BeginRange, pd.EndRange, pd.PricePerUnit)
			if err != nil {
				return nil, fmt.Errorf("SKU %s, rate %s: %w", o.sku, rate, err)
			}
			o.dims = append(o.dims, dim)
		}
		if len(o.dims) == 0 {
			continue
		}
		slices.SortFunc(o.dims, func(a, b dimension) int { return compareFloat(a.begin, b.begin) })
		offers = append(offers, o)
	}
	return offers, nil
}

func parseDimension(unit, begin, end string, price map[string]string) (dimension, error) {
	usd, ok := price["USD"]
	if !ok {
		return dimension{}, fmt.Errorf("no USD price (currencies: %s)", strings.Join(sortedKeys(price), ", "))
	}
	d := dimension{unit: unit, end: math.Inf(1)}
	var err error
	if d.usd, err = strconv.ParseFloat(usd, 64); err != nil || d.usd < 0 {
		return dimension{}, fmt.Errorf("price %q is not an amount in USD", usd)
	}
	if begin != "" {
		if d.begin, err = strconv.ParseFloat(begin, 64); err != nil {
			return dimension{}, fmt.Errorf("beginRange %q is not a number", begin)
		}
	}
	if end != "" && end != "Inf" {
		if d.end, err = strconv.ParseFloat(end, 64); err != nil {
			return dimension{}, fmt.Errorf("endRange %q is not a number or Inf", end)
		}
	}
	return d, nil
}

// choose picks the offer of src among offers: those whose usage type contains the fragment, and of
// them those whose usage type is the fragment itself once the region prefix is off ("USE1-Fargate-
// GB-Hours" over "USE1-SpotUsage-Fargate-GB-Hours"). Several candidates are fine when they price
// alike; otherwise they are returned as conflicting.
func choose(offers []offer, fragment, region string) (best offer, conflicting []offer, found bool) {
	var contains, exact []offer
	for _, o := range offers {
		if fragment == "" || strings.Contains(o.usagetype, fragment) {
			contains = append(contains, o)
		}
		if fragment != "" && baseUsageType(o.usagetype, region) == fragment {
			exact = append(exact, o)
		}
	}
	candidates := contains
	if len(exact) > 0 {
		candidates = exact
	}
	if len(candidates) == 0 {
		return offer{}, nil, false
	}
	for _, o := range candidates[1:] {
		if !sameDims(o.dims, candidates[0].dims) {
			return offer{}, candidates, true
		}
	}
	best = candidates[0]
	for _, o := range candidates[1:] {
		if o.effective.After(best.effective) {
			best = o
		}
	}
	return best, nil, true
}

func sameDims(a, b []dimension) bool {
	return slices.EqualFunc(a, b, func(x, y dimension) bool { return x == y })
}

// toPrice converts an offer into base's unit. AWS lists some prices per single request or query
// where the catalog counts in thousands or millions ("10K requests", "1M queries"). A leading free
// tier is dropped because gantry shows list prices, free tiers not subtracted.
func toPrice(o offer, base cost.Price) cost.Price {
	dims := o.dims
	if len(dims) > 1 && dims[0].usd == 0 && slices.ContainsFunc(dims[1:], func(d dimension) bool { return d.usd > 0 }) {
		dims = dims[1:]
	}
	factor := unitCount(base.Unit) / unitCount(dims[0].unit)
	p := cost.Price{Unit: base.Unit, Source: base.Source, USD: roundPrice(dims[0].usd * factor)}
	if len(dims) == 1 {
		return p
	}
	for _, d := range dims {
		t := cost.Tier{USD: roundPrice(d.usd * factor)}
		if !math.IsInf(d.end, 1) {
			t.UpTo = roundPrice(d.end / factor)
		}
		p.Tiers = append(p.Tiers, t)
	}
	return p
}

// countPrefix matches the count a unit starts with: "10K requests", "1M queries", "1,000 requests",
// "million queries". A bare letter ("B", "M") is a unit of its own, not a count.
var countPrefix = regexp.MustCompile(`(?i)^(?:(\d[\d,]*(?:\.\d+)?)\s*(k|m|b)?|(thousand|million|billion))\s`)

// unitCount is how many single things a unit counts: 10000 for "10K requests", 1 for "Requests".
func unitCount(unit string) float64 {
	m := countPrefix.FindStringSubmatch(strings.TrimSpace(unit) + " ")
	if m == nil {
		return 1
	}
	n := 1.0
	if m[1] != "" {
		n, _ = strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	}
	switch strings.ToLower(m[2] + m[3]) {
	case "k", "thousand":
		n *= 1e3
	case "m", "million":
		n *= 1e6
	case "b", "billion":
		n *= 1e9
	}
	if n <= 0 {
		return 1
	}
	return n
}

// roundPrice drops the binary noise of a unit conversion (0.0000004 × 1e6 = 0.39999999999999997);
// AWS lists prices to 10 decimal places.
func roundPrice(v float64) float64 {
	return math.Round(v*1e10) / 1e10
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
