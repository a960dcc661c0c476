package refresh_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/cost/refresh"
	"github.com/classla/gantry/internal/testing/awsfake"
)

// threePrices is a us-east-1 catalog whose sources take the three forms a region move must handle:
// a usage-type fragment, an exact usage type with a location, and a global service.
func threePrices() *cost.Catalog {
	return &cost.Catalog{Format: 1, Currency: "USD", EffectiveDate: "2026-11-01", HoursPerMonth: 730,
		Regions: map[string]cost.Region{"us-east-1": {Prices: map[string]cost.Price{
			cost.KeyFargateVCPUHours: {USD: 0.04048, Unit: "vCPU-hour", Source: cost.Source{ServiceCode: "AmazonECS",
				Filters: map[string]string{"productFamily": "Compute"}, UsageTypeContains: "Fargate-vCPU-Hours:perCPU"}},
			cost.KeyNATGatewayHours: {USD: 0.045, Unit: "hour", Source: cost.Source{ServiceCode: "AmazonEC2",
				Filters: map[string]string{"productFamily": "NAT Gateway", "usagetype": "USE1-NatGateway-Hours", "location": "US East (N. Virginia)"}}},
			cost.KeyRoute53ZoneMonths: {USD: 0.50, Unit: "zone-month", Source: cost.Source{ServiceCode: "AmazonRoute53",
				Filters: map[string]string{"productFamily": "DNS Zone"}, UsageTypeContains: "HostedZone"}},
		}}}}
}

func seedIreland(p *awsfake.Pricing, withZone bool) {
	ireland := map[string]string{"regionCode": "eu-west-1", "location": "EU (Ireland)"}
	with := func(extra ...string) map[string]string {
		a := map[string]string{}
		for k, v := range ireland {
			a[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			a[extra[i]] = extra[i+1]
		}
		return a
	}
	p.AddProduct("AmazonECS", with("productFamily", "Compute", "usagetype", "EU-Fargate-vCPU-Hours:perCPU"), flat("hours", 0.04048))
	p.AddProduct("AmazonEC2", with("productFamily", "NAT Gateway", "usagetype", "EU-NatGateway-Hours"), flat("Hrs", 0.048))
	// us-east-1's, which the Ireland queries must not pick up.
	p.AddProduct("AmazonEC2", attrs("NAT Gateway", "USE1-NatGateway-Hours"), flat("Hrs", 0.045))
	p.AddProduct("AmazonECS", attrs("Compute", "USE1-Fargate-vCPU-Hours:perCPU"), flat("hours", 0.03))
	if withZone {
		p.AddProduct("AmazonRoute53", map[string]string{"productFamily": "DNS Zone", "usagetype": "HostedZone", "location": "Global"}, flat("HostedZone", 0.50))
	}
}

func TestRefreshAddsARegionFromUSEast1Sources(t *testing.T) {
	t.Parallel()
	p := awsfake.NewPricing(t)
	seedIreland(p, true)
	got, report, err := refresh.Refresh(context.Background(), newClient(t, p), threePrices(), "eu-west-1", nil)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	want := threePrices()
	us := want.Regions["us-east-1"].Prices
	nat := us[cost.KeyNATGatewayHours]
	nat.USD = 0.048 // Ireland's list price
	nat.Source.Filters = map[string]string{"productFamily": "NAT Gateway", "usagetype": "EU-NatGateway-Hours", "location": "EU (Ireland)"}
	want.Regions["eu-west-1"] = cost.Region{Prices: map[string]cost.Price{
		cost.KeyFargateVCPUHours: us[cost.KeyFargateVCPUHours], cost.KeyNATGatewayHours: nat, cost.KeyRoute53ZoneMonths: us[cost.KeyRoute53ZoneMonths],
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	if report.Added != 3 || len(report.Changed) != 0 || report.Unchanged != 0 {
		t.Errorf("report = %+v, want 3 prices added and nothing compared", report)
	}
	if !strings.Contains(report.Text(), "3 added") {
		t.Errorf("report text lacks %q:\n%s", "3 added", report.Text())
	}
}

func TestRefreshOfANewRegionRefusesToBorrowPrices(t *testing.T) {
	t.Parallel()
	t.Run("a price AWS does not list for the new region fails the refresh, naming it", func(t *testing.T) {
		t.Parallel()
		p := awsfake.NewPricing(t)
		seedIreland(p, false)
		got, _, err := refresh.Refresh(context.Background(), newClient(t, p), threePrices(), "eu-west-1", nil)
		if got != nil || err == nil || !strings.Contains(err.Error(), "cannot add eu-west-1") || !strings.Contains(err.Error(), cost.KeyRoute53ZoneMonths) {
			t.Errorf("Refresh = %v, %v; want no catalog and an error naming %s", got, err, cost.KeyRoute53ZoneMonths)
		}
	})
	t.Run("a region whose Price List names gantry does not know fails before any request", func(t *testing.T) {
		t.Parallel()
		p := awsfake.NewPricing(t)
		_, _, err := refresh.Refresh(context.Background(), newClient(t, p), threePrices(), "mx-central-1", nil)
		if !errors.Is(err, refresh.ErrUnknownRegion) || !strings.Contains(err.Error(), "mx-central-1") {
			t.Errorf("err = %v, want ErrUnknownRegion naming mx-central-1", err)
		}
	})
}
