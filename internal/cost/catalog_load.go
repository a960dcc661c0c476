package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// CatalogFormat is the catalog file format this version of gantry reads and writes.
const CatalogFormat = 1

// DefaultRegion is the region resources are priced in when their provider configuration
// does not say.
const DefaultRegion = "us-east-1"

// ErrBadCatalog is wrapped by every error of LoadCatalog.
var ErrBadCatalog = errors.New("bad price catalog")

//go:embed catalog/aws.json
var embeddedCatalog []byte

var (
	embeddedOnce sync.Once
	embedded     *Catalog
)

// Embedded returns the price catalog compiled into gantry. It is shared: callers must not
// modify it.
func Embedded() *Catalog {
	embeddedOnce.Do(func() {
		c, err := LoadCatalog(bytes.NewReader(embeddedCatalog))
		if err != nil {
			// The file is embedded and tested; failing here is a build mistake.
			panic("embedded price catalog: " + err.Error())
		}
		embedded = c
	})
	return embedded
}

// RequiredKeys lists the price keys every region of a catalog must carry, sorted.
func RequiredKeys() []string {
	keys := []string{
		KeyFargateVCPUHours, KeyFargateGBHours, KeyALBHours, KeyALBLCUHours, KeyNLBHours,
		KeyNLBNLCUHours, KeyNATGatewayHours, KeyNATGatewayGB, KeyPublicIPv4Hours,
		KeyInterfaceEndpointHours, KeyInterfaceEndpointGB, KeySecretMonths, KeySecretRequests10K,
		KeyLogsIngestionGB, KeyLogsStorageGBMonths, KeyLogsScannedGB, KeyAlarmStandard,
		KeyAlarmHighResolution, KeyDashboardMonths, KeyRoute53ZoneMonths, KeyRoute53QueriesMillion,
		KeyACMPrivateCertificate, KeyWAFWebACLMonths, KeyWAFRuleMonths, KeyWAFRuleGroupMonths,
		KeyWAFManagedRuleGroupMonth, KeyWAFRequestsMillion, KeyECRStorageGBMonths, KeyKMSKeyMonths,
		KeyS3StandardGBMonths, KeyAmplifyBuildMinutes, KeyAmplifyStorageGBMonths, KeyAmplifyDataServedGB,
	}
	sort.Strings(keys)
	return keys
}

// LoadCatalog reads a catalog file and checks it: the format, the currency, the hours per
// month, and that every region carries every required key with a usable price.
func LoadCatalog(r io.Reader) (*Catalog, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: it is not a catalog JSON document (%v): regenerate it with `gantry prices refresh`", ErrBadCatalog, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCatalog, err)
	}
	return &c, nil
}

func (c *Catalog) check() error {
	switch {
	case c.Format == 0:
		return errors.New(`it has no "format": regenerate it with ` + "`gantry prices refresh`")
	case c.Format > CatalogFormat:
		return fmt.Errorf("format %d is newer than this gantry reads (%d): upgrade gantry", c.Format, CatalogFormat)
	case c.Format != CatalogFormat:
		return fmt.Errorf("format %d is not supported (expected %d): regenerate it with `gantry prices refresh`", c.Format, CatalogFormat)
	case c.Currency != "USD":
		return fmt.Errorf("currency %q is not supported: gantry prices in USD", c.Currency)
	case c.HoursPerMonth <= 0:
		return fmt.Errorf("hours_per_month is %v: set it to 730", c.HoursPerMonth)
	case c.EffectiveDate == "":
		return errors.New(`it has no "effective_date": set the date the prices took effect (YYYY-MM-DD)`)
	case len(c.Regions) == 0:
		return errors.New("it prices no region: add at least us-east-1")
	}
	var problems []string
	for _, name := range sortedKeys(c.Regions) {
		prices := c.Regions[name].Prices
		var missing []string
		for _, k := range RequiredKeys() {
			if _, ok := prices[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("region %s lacks %s", name, strings.Join(missing, ", ")))
		}
		for _, k := range sortedKeys(prices) {
			if p := prices[k]; p.USD < 0 || p.Unit == "" {
				problems = append(problems, fmt.Sprintf("region %s: price %s needs a unit and a price of 0 or more", name, k))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: refresh the region with `gantry prices refresh --region REGION`", strings.Join(problems, "; "))
	}
	return nil
}

// Price returns the price of key in region. It never falls back to another region: a
// resource in a region the catalog lacks is left unpriced rather than priced wrongly.
func (c *Catalog) Price(region, key string) (Price, bool) {
	if c == nil {
		return Price{}, false
	}
	r, ok := c.Regions[region]
	if !ok {
		return Price{}, false
	}
	p, ok := r.Prices[key]
	return p, ok
}

// HasRegion reports whether the catalog prices region.
func (c *Catalog) HasRegion(region string) bool {
	_, ok := c.Regions[region]
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
