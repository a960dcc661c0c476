// Package refresh rebuilds gantry's price catalog from the AWS Price List Query API
// (pricing:GetProducts), for `gantry prices refresh`: every price of a region is looked up again by
// its Source, changes are reported, and a price AWS no longer lists is kept with a warning rather
// than dropped or zeroed.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/cost"
)

// Sentinel errors, so the command can tell the causes apart (errors.Is).
var (
	// ErrAccessDenied: the API refused the credentials or their permissions.
	ErrAccessDenied = errors.New("the AWS Price List API refused the request")
	// ErrThrottled: the API kept throttling after the SDK's retries.
	ErrThrottled = errors.New("the AWS Price List API throttled the refresh")
	// ErrEndpoint: the API could not be reached or did not answer as the Price List API.
	ErrEndpoint = errors.New("the AWS Price List API could not be reached")
	// ErrUnknownRegion: a region the catalog lacks cannot be derived from us-east-1's sources.
	ErrUnknownRegion = errors.New("unknown region")
)

// AmbiguousError lists the prices for which AWS lists several products with different prices, so
// that the catalog's source for each must be narrowed (a filter or a longer usage-type fragment).
type AmbiguousError struct {
	Region string
	Prices []Ambiguity
}

// Ambiguity is one price matched by several differently priced products.
type Ambiguity struct {
	Key        string
	UsageTypes []string // one per matching product, as AWS lists them
}

func (e *AmbiguousError) Error() string {
	parts := make([]string, len(e.Prices))
	for i, a := range e.Prices {
		parts[i] = fmt.Sprintf("%s is matched by %s", a.Key, strings.Join(a.UsageTypes, " and "))
	}
	return fmt.Sprintf("the Price List API lists differently priced products for one catalog price in %s: %s: narrow the source of each in the catalog (a filter or a longer usagetype_contains) so that one product matches",
		e.Region, strings.Join(parts, "; "))
}

// Report says what a refresh changed and what it could not refresh.
type Report struct {
	Region        string
	EffectiveDate string   // the refreshed catalog's
	Changed       []Change // sorted by key
	Kept          []Kept   // prices kept from the base catalog, sorted by key
	Unchanged     int
	// Added counts the prices of a region the base catalog did not have (nothing to compare with).
	Added int
}

// Change is one price whose list price differs from the base catalog's.
type Change struct {
	Key      string
	Old, New cost.Price
}

// Kept is a price the refresh could not read again, kept as it was, with why.
type Kept struct {
	Key    string
	Reason string
}

// implausibleFactor bounds how far a refreshed price may move from the catalog's before it is taken
// for a unit mismatch (per hour against per month, per request against per million) and kept.
const implausibleFactor = 5

// Refresh looks every price of region up again and returns a new catalog with them, base's other
// regions unchanged. When base lacks region, us-east-1's sources stand in for it, moved to region's
// location and usage-type prefix. Its EffectiveDate is the newest effectiveDate of the terms read
// (today when none was). log may be nil.
func Refresh(ctx context.Context, client pricing.GetProductsAPIClient, base *cost.Catalog, region string, log *slog.Logger) (*cost.Catalog, Report, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if region == "" {
		region = cost.DefaultRegion
	}
	if base == nil {
		return nil, Report{}, errors.New("no base catalog to refresh: start from the embedded catalog (cost.Embedded)")
	}
	from := region
	if _, ok := base.Regions[region]; !ok {
		from = templateRegion
	}
	template, ok := base.Regions[from]
	if !ok {
		return nil, Report{}, fmt.Errorf("the catalog has neither %s nor %s to take price sources from: start from the embedded catalog", region, templateRegion)
	}
	r := &refresher{client: client, region: region, log: log.With("region", region), cache: map[string][]offer{}}
	prices, report, err := r.refreshRegion(ctx, template.Prices, from)
	if err != nil {
		return nil, report, err
	}
	out := *base
	out.Regions = maps.Clone(base.Regions)
	out.Regions[region] = cost.Region{Prices: prices}
	out.EffectiveDate = report.EffectiveDate
	return &out, report, nil
}

type refresher struct {
	client pricing.GetProductsAPIClient
	region string
	log    *slog.Logger
	cache  map[string][]offer // several keys share a query (WAF rules and rule groups)
	newest time.Time
}

func (r *refresher) refreshRegion(ctx context.Context, template map[string]cost.Price, from string) (map[string]cost.Price, Report, error) {
	report := Report{Region: r.region}
	prices := make(map[string]cost.Price, len(template))
	var ambiguous []Ambiguity
	for _, key := range sortedKeys(template) {
		res, err := r.lookup(ctx, key, template[key], from)
		if err != nil {
			return nil, report, err
		}
		switch {
		case len(res.conflicting) > 0:
			ambiguous = append(ambiguous, Ambiguity{Key: key, UsageTypes: usageTypes(res.conflicting)})
		case res.kept != "":
			prices[key] = res.old
			report.Kept = append(report.Kept, r.keep(key, res.kept))
		default:
			prices[key] = res.fresh
			r.count(&report, key, res.old, res.fresh, from == r.region)
		}
	}
	report.EffectiveDate = time.Now().UTC().Format(time.DateOnly)
	if !r.newest.IsZero() {
		report.EffectiveDate = r.newest.UTC().Format(time.DateOnly)
	}
	if len(ambiguous) > 0 {
		return nil, report, &AmbiguousError{Region: r.region, Prices: ambiguous}
	}
	if from != r.region && len(report.Kept) > 0 {
		// Keeping would price the new region with another region's numbers.
		return nil, report, fmt.Errorf("cannot add %s to the catalog: %s", r.region, keptReasons(report.Kept))
	}
	return prices, report, nil
}

// result is what a refresh found for one price.
type result struct {
	old         cost.Price // the base price, its source moved to the region
	fresh       cost.Price
	kept        string  // why old is kept, when it is
	conflicting []offer // differently priced candidates, when ambiguous
}

func (r *refresher) lookup(ctx context.Context, key string, old cost.Price, from string) (result, error) {
	src, query, err := regionSource(old.Source, from, r.region)
	if err != nil {
		return result{}, fmt.Errorf("price %s: %w", key, err)
	}
	old.Source = src
	offers, err := r.offers(ctx, src.ServiceCode, query)
	if err != nil {
		return result{}, fmt.Errorf("looking up %s (%s): %w", key, src.ServiceCode, err)
	}
	best, conflicting, found := choose(offers, src.UsageTypeContains, r.region)
	switch {
	case len(conflicting) > 0:
		return result{old: old, conflicting: conflicting}, nil
	case !found:
		return result{old: old, kept: fmt.Sprintf("no %s product with usagetype containing %q matches %s",
			src.ServiceCode, src.UsageTypeContains, describe(query))}, nil
	}
	fresh := toPrice(best, old)
	if why := implausible(old, fresh, best, from == r.region); why != "" {
		return result{old: old, kept: why}, nil
	}
	if best.effective.After(r.newest) {
		r.newest = best.effective
	}
	return result{old: old, fresh: fresh}, nil
}

// count adds a refreshed price to the report: a change or not when the region was there before,
// an addition otherwise.
func (r *refresher) count(report *Report, key string, old, fresh cost.Price, sameRegion bool) {
	switch {
	case !sameRegion:
		report.Added++
	case samePrice(old, fresh):
		report.Unchanged++
	default:
		report.Changed = append(report.Changed, Change{Key: key, Old: old, New: fresh})
		r.log.Info("price changed", "key", key, "old_usd", old.USD, "new_usd", fresh.USD, "unit", fresh.Unit)
	}
}

func (r *refresher) offers(ctx context.Context, serviceCode string, filters map[string]string) ([]offer, error) {
	key := serviceCode + "\x00" + describe(filters)
	if o, ok := r.cache[key]; ok {
		return o, nil
	}
	o, err := fetch(ctx, r.client, serviceCode, filters)
	if err != nil {
		return nil, err
	}
	r.cache[key] = o
	return o, nil
}

func (r *refresher) keep(key, reason string) Kept {
	r.log.Warn("price kept from the base catalog", "key", key, "reason", reason)
	return Kept{Key: key, Reason: reason}
}

// implausible says why fresh cannot be right, or "". Only a price of the same region is compared: a
// new region's prices may differ from us-east-1's by any amount.
func implausible(old, fresh cost.Price, o offer, sameRegion bool) string {
	if !sameRegion || old.USD <= 0 || fresh.USD <= 0 {
		return ""
	}
	ratio := fresh.USD / old.USD
	if ratio <= implausibleFactor && ratio >= 1.0/implausibleFactor {
		return ""
	}
	return fmt.Sprintf("AWS lists %s (SKU %s) at $%v per %q, which is $%v per %s against the catalog's $%v: check that the catalog's unit matches AWS's",
		o.usagetype, o.sku, o.dims[0].usd, o.dims[0].unit, fresh.USD, old.Unit, old.USD)
}

func keptReasons(kept []Kept) string {
	parts := make([]string, len(kept))
	for i, k := range kept {
		parts[i] = k.Key + ": " + k.Reason
	}
	return strings.Join(parts, "; ")
}

func samePrice(a, b cost.Price) bool {
	return a.USD == b.USD && a.Unit == b.Unit && cmp.Equal(a.Tiers, b.Tiers)
}

func usageTypes(offers []offer) []string {
	out := make([]string, len(offers))
	for i, o := range offers {
		out[i] = fmt.Sprintf("%s (SKU %s, $%v per %s)", o.usagetype, o.sku, o.dims[0].usd, o.dims[0].unit)
	}
	return out
}

// describe renders filters as field=value pairs in a stable order.
func describe(filters map[string]string) string {
	parts := make([]string, 0, len(filters))
	for _, k := range sortedKeys(filters) {
		parts = append(parts, k+"="+filters[k])
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
