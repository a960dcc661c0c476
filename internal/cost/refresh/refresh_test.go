package refresh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/cost/refresh"
	"github.com/classla/gantry/internal/testing/awsfake"
)

func TestEveryCatalogKeyHasAProductInTheseTests(t *testing.T) {
	t.Parallel()
	products := usEast1()
	for key := range embedded(t).Regions["us-east-1"].Prices {
		_, ok := products[key]
		sharesRule := key == cost.KeyWAFRuleGroupMonths || key == cost.KeyWAFManagedRuleGroupMonth
		if !ok && !sharesRule {
			t.Errorf("no AWS product for catalog key %s: add it to usEast1()", key)
		}
	}
}

func TestRefreshUSEast1(t *testing.T) {
	t.Parallel()
	p := awsfake.NewPricing(t)
	products := usEast1()
	// AWS raised two prices on 2027-01-01 and no longer lists the public IPv4 product.
	newer := awsfake.EffectiveDate(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	nat, secrets := products[cost.KeyNATGatewayHours], products[cost.KeySecretRequests10K]
	delete(products, cost.KeyNATGatewayHours)
	delete(products, cost.KeySecretRequests10K)
	p.AddProduct(nat.service, nat.attrs, flat("Hrs", 0.048), newer)
	p.AddProduct(secrets.service, secrets.attrs, flat("API Requests", 0.000006), newer)
	seed(p, products, cost.KeyPublicIPv4Hours)
	addDistractors(p)

	base := embedded(t)
	before, _ := refresh.Encode(base)
	got, report, err := refresh.Refresh(context.Background(), newClient(t, p), base, "us-east-1", nil)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}

	t.Run("the refreshed catalog has the new prices and keeps the rest", func(t *testing.T) {
		want := embedded(t)
		want.EffectiveDate = "2027-01-01" // the newest effectiveDate read
		prices := want.Regions["us-east-1"].Prices
		natPrice := prices[cost.KeyNATGatewayHours]
		natPrice.USD = 0.048
		prices[cost.KeyNATGatewayHours] = natPrice
		secretsPrice := prices[cost.KeySecretRequests10K]
		secretsPrice.USD = 0.06 // $0.000006 per API request × 10,000
		prices[cost.KeySecretRequests10K] = secretsPrice
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("refreshed catalog (-want +got):\n%s", diff)
		}
	})

	t.Run("the report lists the two changes and the price kept with a warning", func(t *testing.T) {
		oldNAT, oldSecrets := base.Regions["us-east-1"].Prices[cost.KeyNATGatewayHours], base.Regions["us-east-1"].Prices[cost.KeySecretRequests10K]
		newNAT, newSecrets := oldNAT, oldSecrets
		newNAT.USD, newSecrets.USD = 0.048, 0.06
		wantChanged := []refresh.Change{
			{Key: cost.KeyNATGatewayHours, Old: oldNAT, New: newNAT},
			{Key: cost.KeySecretRequests10K, Old: oldSecrets, New: newSecrets},
		}
		if diff := cmp.Diff(wantChanged, report.Changed); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		if len(report.Kept) != 1 || report.Kept[0].Key != cost.KeyPublicIPv4Hours || !strings.Contains(report.Kept[0].Reason, "PublicIPv4:InUseAddress") {
			t.Errorf("kept = %+v, want only %s, naming the usage type not found", report.Kept, cost.KeyPublicIPv4Hours)
		}
		if n := len(base.Regions["us-east-1"].Prices); report.Unchanged != n-3 || report.EffectiveDate != "2027-01-01" {
			t.Errorf("unchanged = %d, effective %s; want %d (all but 3) and 2027-01-01", report.Unchanged, report.EffectiveDate, n-3)
		}
		for _, line := range []string{
			"Prices of us-east-1, effective 2027-01-01: 2 changed, " + itoa(report.Unchanged) + " unchanged, 1 kept from the old catalog.\n",
			"  changed  ec2.nat_gateway.hours: $0.045 per hour → $0.048 per hour\n",
			"  changed  secretsmanager.requests_10k: $0.05 per 10K requests → $0.06 per 10K requests\n",
			"  warning  vpc.public_ipv4.hours kept at its old price: no AmazonVPC product with usagetype containing \"PublicIPv4:InUseAddress\"",
		} {
			if !strings.Contains(report.Text(), line) {
				t.Errorf("report text lacks %q:\n%s", line, report.Text())
			}
		}
	})

	t.Run("the refreshed catalog loads and the base catalog is untouched", func(t *testing.T) {
		data, err := refresh.Encode(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cost.LoadCatalog(bytes.NewReader(data)); err != nil {
			t.Errorf("LoadCatalog(refreshed): %v", err)
		}
		after, _ := refresh.Encode(base)
		if !bytes.Equal(before, after) {
			t.Errorf("Refresh modified the base catalog")
		}
	})

	t.Run("queries were paginated, each asked once, by the SDK", func(t *testing.T) {
		seen := map[string]bool{}
		ecs := 0
		for _, r := range p.Requests() {
			if seen[string(r.Body)] {
				t.Errorf("query asked twice: %s", r.Body)
			}
			seen[string(r.Body)] = true
			var in struct {
				ServiceCode, NextToken string
				Filters                []struct{ Type, Field, Value string }
			}
			if err := json.Unmarshal(r.Body, &in); err != nil {
				t.Fatalf("request body %q: %v", r.Body, err)
			}
			// Route 53 is global: its products have no regionCode. Every other query is for us-east-1.
			regional := slices.ContainsFunc(in.Filters, func(f struct{ Type, Field, Value string }) bool {
				return f.Type == "TERM_MATCH" && f.Field == "regionCode" && f.Value == "us-east-1"
			})
			if regional == (in.ServiceCode == "AmazonRoute53") {
				t.Errorf("%s query filters %+v: want a regionCode=us-east-1 filter on regional services only", in.ServiceCode, in.Filters)
			}
			if in.ServiceCode == "AmazonECS" {
				ecs++
				if ecs == 2 && in.NextToken == "" {
					t.Errorf("second AmazonECS request has no NextToken")
				}
			}
			ua := r.Header.Get("User-Agent")
			if r.Target != awsfake.PricingTarget || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
				!strings.Contains(ua, "aws-sdk-go-v2/") || !strings.Contains(ua, "api/pricing#") || r.Status != http.StatusOK {
				t.Errorf("request: target %q, content type %q, user agent %q, status %d", r.Target, r.Header.Get("Content-Type"), ua, r.Status)
			}
		}
		// Four us-east-1 Compute products (vCPU, GB, spot GB, ARM vCPU) at two per page, one query
		// for both Fargate keys: two requests.
		if ecs != 2 {
			t.Errorf("AmazonECS requests = %d, want 2 (one query, two pages)", ecs)
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestRefreshReadsWhatAWSLists(t *testing.T) {
	t.Parallel()
	// A catalog of one price, so that each case seeds one product.
	single := func(key string, price cost.Price) *cost.Catalog {
		return &cost.Catalog{Format: 1, Currency: "USD", EffectiveDate: "2026-11-01", HoursPerMonth: 730,
			Regions: map[string]cost.Region{"us-east-1": {Prices: map[string]cost.Price{key: price}}}}
	}
	dashboard := embedded(t).Regions["us-east-1"].Prices[cost.KeyDashboardMonths]
	zone := embedded(t).Regions["us-east-1"].Prices[cost.KeyRoute53ZoneMonths]
	alarm := embedded(t).Regions["us-east-1"].Prices[cost.KeyAlarmStandard]
	cases := []struct {
		name      string
		key       string
		base      cost.Price
		product   product
		wantPrice cost.Price
		wantKept  string // part of the warning when the price is kept
	}{
		{
			name: "a flat price that AWS lists in tiers gains the tiers", key: cost.KeyRoute53ZoneMonths, base: zone,
			product: product{"AmazonRoute53", map[string]string{"productFamily": "DNS Zone", "usagetype": "HostedZone", "location": "Global"},
				[]awsfake.Dimension{{Unit: "HostedZone", USD: 0.50, EndRange: "25"}, {Unit: "HostedZone", USD: 0.10, BeginRange: "25"}}},
			// First 25 zones $0.50, the rest $0.10; USD is the first tier's.
			wantPrice: withTiers(zone, 0.50, cost.Tier{UpTo: 25, USD: 0.50}, cost.Tier{USD: 0.10}),
		},
		{
			name: "a free tier AWS lists first is left out, as gantry shows list prices", key: cost.KeyAlarmStandard, base: alarm,
			product: product{"AmazonCloudWatch", attrs("Alarm", "USE1-CW:AlarmMonitorUsage"),
				[]awsfake.Dimension{{Unit: "Alarms", USD: 0, EndRange: "10"}, {Unit: "Alarms", USD: 0.11, BeginRange: "10"}}},
			wantPrice: withTiers(alarm, 0.11),
		},
		{
			name: "a price per hour where the catalog counts months is kept, as a unit mismatch", key: cost.KeyDashboardMonths, base: dashboard,
			product: product{"AmazonCloudWatch", attrs("Dashboard", "USE1-DashboardsUsageHour-Basic"), flat("Hrs", 0.0041096)},
			// $0.0041096 against $3.00: 730× apart, far past any real price change.
			wantPrice: dashboard, wantKept: "check that the catalog's unit matches AWS's",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := awsfake.NewPricing(t)
			p.AddProduct(tc.product.service, tc.product.attrs, tc.product.dims)
			got, report, err := refresh.Refresh(context.Background(), newClient(t, p), single(tc.key, tc.base), "us-east-1", nil)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if diff := cmp.Diff(tc.wantPrice, got.Regions["us-east-1"].Prices[tc.key]); diff != "" {
				t.Errorf("price (-want +got):\n%s", diff)
			}
			kept := len(report.Kept) == 1 && strings.Contains(report.Kept[0].Reason, tc.wantKept)
			if (tc.wantKept != "") != kept {
				t.Errorf("kept = %+v, want a warning containing %q: %v", report.Kept, tc.wantKept, tc.wantKept != "")
			}
		})
	}

	t.Run("a refresh that reads no price dates the catalog today", func(t *testing.T) {
		t.Parallel()
		p := awsfake.NewPricing(t)
		start := time.Now().UTC().Format(time.DateOnly)
		got, report, err := refresh.Refresh(context.Background(), newClient(t, p), single(cost.KeyDashboardMonths, dashboard), "", nil)
		end := time.Now().UTC().Format(time.DateOnly)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if got.EffectiveDate != start && got.EffectiveDate != end {
			t.Errorf("effective date = %s, want today (%s)", got.EffectiveDate, start)
		}
		if got.Regions["us-east-1"].Prices[cost.KeyDashboardMonths].USD != 3.0 || len(report.Kept) != 1 {
			t.Errorf("dashboard price = %v, kept %+v; want $3.00 kept with a warning", got.Regions["us-east-1"].Prices[cost.KeyDashboardMonths], report.Kept)
		}
	})
}

func withTiers(p cost.Price, usd float64, tiers ...cost.Tier) cost.Price {
	p.USD = usd
	p.Tiers = tiers
	return p
}

func TestRefreshAmbiguousProducts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		duplicate float64
		wantErr   bool
	}{
		{"two products priced differently for one key are an error naming both", 0.05, true},
		{"two products priced alike for one key are taken as one", 0.045, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := awsfake.NewPricing(t)
			seed(p, usEast1())
			p.AddProduct("AmazonEC2", attrs("NAT Gateway", "USE1-NatGateway-Hours", "operation", "NatGatewayRegional"), flat("Hrs", tc.duplicate))
			got, _, err := refresh.Refresh(context.Background(), newClient(t, p), embedded(t), "us-east-1", nil)
			var ambiguous *refresh.AmbiguousError
			if !tc.wantErr {
				if err != nil || got.Regions["us-east-1"].Prices[cost.KeyNATGatewayHours].USD != 0.045 {
					t.Fatalf("Refresh: %v; want the NAT gateway at $0.045", err)
				}
				return
			}
			if !errors.As(err, &ambiguous) || got != nil {
				t.Fatalf("Refresh = %v, %v; want no catalog and an AmbiguousError", got, err)
			}
			if len(ambiguous.Prices) != 1 || ambiguous.Prices[0].Key != cost.KeyNATGatewayHours || len(ambiguous.Prices[0].UsageTypes) != 2 {
				t.Errorf("ambiguous = %+v, want %s with two products", ambiguous.Prices, cost.KeyNATGatewayHours)
			}
			for _, part := range []string{"ec2.nat_gateway.hours", "$0.045 per Hrs", "$0.05 per Hrs", "narrow the source"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}

func TestRefreshErrorsSayWhatToCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		failures int
		status   int
		code     string
		want     error
		wantText []string
	}{
		{"a 403 AccessDenied names the permission", 1, http.StatusForbidden, "AccessDeniedException", refresh.ErrAccessDenied,
			[]string{"pricing:GetProducts", "credentials"}},
		{"an unknown key names the credentials", 1, http.StatusBadRequest, "UnrecognizedClientException", refresh.ErrAccessDenied,
			[]string{"credentials"}},
		// The SDK makes three attempts before giving up on throttling.
		{"throttling past the SDK's retries says to try later", 3, http.StatusBadRequest, "ThrottlingException", refresh.ErrThrottled,
			[]string{"wait a minute"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := awsfake.NewPricing(t)
			seed(p, usEast1())
			for range tc.failures {
				p.FailNext(tc.status, tc.code, "refused by the test")
			}
			got, _, err := refresh.Refresh(context.Background(), newClient(t, p), embedded(t), "us-east-1", nil)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("Refresh = %v, %v; want no catalog and %v", got, err, tc.want)
			}
			for _, part := range tc.wantText {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if strings.Contains(err.Error(), awsfake.SecretAccessKey) {
				t.Errorf("error %q shows the secret access key", err)
			}
		})
	}

	t.Run("an endpoint that does not answer names AWS_ENDPOINT_URL_PRICING", func(t *testing.T) {
		t.Parallel()
		_, _, err := refresh.Refresh(context.Background(), clientFor(t, map[string]string{"AWS_ENDPOINT_URL": closedURL(t)}), embedded(t), "us-east-1", nil)
		if !errors.Is(err, refresh.ErrEndpoint) || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL_PRICING") {
			t.Errorf("err = %v, want ErrEndpoint naming AWS_ENDPOINT_URL_PRICING", err)
		}
	})
}
