package refresh

import (
	"fmt"
	"maps"
	"strings"

	"github.com/classla/gantry/internal/cost"
)

// regionInfo is how the Price List names a region: the prefix of its usage types ("USW2-…") and
// its location attribute ("US West (Oregon)").
type regionInfo struct {
	prefix   string
	location string
}

// regions lists the commercial regions whose Price List names gantry knows. A region missing here
// can still be refreshed when its catalog entry already exists or its sources need no translation.
var regions = map[string]regionInfo{
	"us-east-1":      {"USE1", "US East (N. Virginia)"},
	"us-east-2":      {"USE2", "US East (Ohio)"},
	"us-west-1":      {"USW1", "US West (N. California)"},
	"us-west-2":      {"USW2", "US West (Oregon)"},
	"ca-central-1":   {"CAN1", "Canada (Central)"},
	"eu-west-1":      {"EU", "EU (Ireland)"},
	"eu-west-2":      {"EUW2", "EU (London)"},
	"eu-west-3":      {"EUW3", "EU (Paris)"},
	"eu-central-1":   {"EUC1", "EU (Frankfurt)"},
	"eu-north-1":     {"EUN1", "EU (Stockholm)"},
	"eu-south-1":     {"EUS1", "EU (Milan)"},
	"ap-northeast-1": {"APN1", "Asia Pacific (Tokyo)"},
	"ap-northeast-2": {"APN2", "Asia Pacific (Seoul)"},
	"ap-northeast-3": {"APN3", "Asia Pacific (Osaka)"},
	"ap-southeast-1": {"APS1", "Asia Pacific (Singapore)"},
	"ap-southeast-2": {"APS2", "Asia Pacific (Sydney)"},
	"ap-south-1":     {"APS3", "Asia Pacific (Mumbai)"},
	"sa-east-1":      {"SAE1", "South America (Sao Paulo)"},
}

// globalServices price the same everywhere: their products carry no regionCode, so filtering on
// one would find nothing.
var globalServices = map[string]bool{
	"AmazonRoute53": true,
}

// templateRegion is the region whose sources stand for a region the catalog does not have yet.
const templateRegion = cost.DefaultRegion

// regionSource returns src as written for region (the same when from is region; else with from's
// location and usage-type prefix replaced by region's) and the filters to query it with: those plus
// regionCode, for a regional service.
func regionSource(src cost.Source, from, region string) (cost.Source, map[string]string, error) {
	out := src
	out.Filters = maps.Clone(src.Filters)
	if out.Filters == nil {
		out.Filters = map[string]string{}
	}
	if from != region {
		if err := translate(&out, from, region); err != nil {
			return cost.Source{}, nil, err
		}
	}
	query := maps.Clone(out.Filters)
	if !globalServices[src.ServiceCode] {
		query["regionCode"] = region
	}
	return out, query, nil
}

func translate(src *cost.Source, from, region string) error {
	_, hasLocation := src.Filters["location"]
	usagetype, hasUsageType := src.Filters["usagetype"]
	fromInfo := regions[from]
	needsPrefix := hasUsageType || strings.HasPrefix(src.UsageTypeContains, fromInfo.prefix+"-")
	if !hasLocation && !needsPrefix {
		return nil
	}
	to, ok := regions[region]
	if !ok {
		return fmt.Errorf("%w: the %s sources name their location or usage type, and gantry does not know how the Price List names %s: add the region to the catalog by hand first",
			ErrUnknownRegion, from, region)
	}
	if hasLocation {
		src.Filters["location"] = to.location
	}
	if hasUsageType {
		src.Filters["usagetype"] = withPrefix(usagetype, fromInfo.prefix, to.prefix)
	}
	if strings.HasPrefix(src.UsageTypeContains, fromInfo.prefix+"-") {
		src.UsageTypeContains = withPrefix(src.UsageTypeContains, fromInfo.prefix, to.prefix)
	}
	return nil
}

// withPrefix moves a usage type from one region prefix to another. In us-east-1 some services drop
// the prefix ("LoadBalancerUsage"); elsewhere it is always there ("USW2-LoadBalancerUsage").
func withPrefix(usagetype, from, to string) string {
	return to + "-" + strings.TrimPrefix(usagetype, from+"-")
}

// baseUsageType strips region's prefix from a usage type ("USE1-Fargate-GB-Hours" → "Fargate-GB-Hours").
func baseUsageType(usagetype, region string) string {
	if info, ok := regions[region]; ok {
		return strings.TrimPrefix(usagetype, info.prefix+"-")
	}
	return usagetype
}
