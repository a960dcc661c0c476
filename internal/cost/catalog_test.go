package cost

import (
	"errors"
	"strings"
	"testing"
)

func TestTheEmbeddedCatalogCarriesTheReferencePrices(t *testing.T) {
	t.Parallel()
	c := Embedded()
	if c.Format != 1 || c.Currency != "USD" || c.EffectiveDate != "2026-11-01" || c.HoursPerMonth != 730 {
		t.Fatalf("catalog header = format %d, %s, %s, %v h; want 1, USD, 2026-11-01, 730 h",
			c.Format, c.Currency, c.EffectiveDate, c.HoursPerMonth)
	}
	// Prices and Price List API filters as the reference price table gives them.
	want := []struct {
		key, service, family, usageType string
		usd                             float64
	}{
		{KeyFargateVCPUHours, "AmazonECS", "Compute", "Fargate-vCPU-Hours:perCPU", 0.04048},
		{KeyFargateGBHours, "AmazonECS", "Compute", "Fargate-GB-Hours", 0.004445},
		{KeyALBHours, "AWSELB", "Load Balancer-Application", "LoadBalancerUsage", 0.0225},
		{KeyALBLCUHours, "AWSELB", "Load Balancer-Application", "LCUUsage", 0.008},
		{KeyNLBHours, "AWSELB", "Load Balancer-Network", "LoadBalancerUsage", 0.0225},
		{KeyNLBNLCUHours, "AWSELB", "Load Balancer-Network", "LCUUsage", 0.006},
		{KeyNATGatewayHours, "AmazonEC2", "NAT Gateway", "NatGateway-Hours", 0.045},
		{KeyNATGatewayGB, "AmazonEC2", "NAT Gateway", "NatGateway-Bytes", 0.045},
		{KeyPublicIPv4Hours, "AmazonVPC", "", "PublicIPv4:InUseAddress", 0.005},
		{KeyInterfaceEndpointHours, "AmazonVPC", "VpcEndpoint", "VpcEndpoint-Hours", 0.01},
		{KeyInterfaceEndpointGB, "AmazonVPC", "", "VpcEndpoint-Bytes", 0.01},
		{KeySecretMonths, "AWSSecretsManager", "Secret", "", 0.40},
		{KeySecretRequests10K, "AWSSecretsManager", "API Request", "", 0.05},
		{KeyLogsIngestionGB, "AmazonCloudWatch", "Data Payload", "DataProcessing-Bytes", 0.50},
		{KeyLogsStorageGBMonths, "AmazonCloudWatch", "Storage Snapshot", "TimedStorage-ByteHrs", 0.03},
		{KeyLogsScannedGB, "AmazonCloudWatch", "", "", 0.005},
		{KeyAlarmStandard, "AmazonCloudWatch", "Alarm", "", 0.10},
		{KeyAlarmHighResolution, "AmazonCloudWatch", "Alarm", "", 0.30},
		{KeyDashboardMonths, "AmazonCloudWatch", "Dashboard", "", 3.00},
		{KeyRoute53ZoneMonths, "AmazonRoute53", "DNS Zone", "", 0.50},
		{KeyRoute53QueriesMillion, "AmazonRoute53", "DNS Query", "", 0.40},
		{KeyACMPrivateCertificate, "", "", "", 0.75},
		{KeyWAFWebACLMonths, "awswaf", "", "", 5.00},
		{KeyWAFRuleMonths, "awswaf", "", "", 1.00},
		{KeyWAFRuleGroupMonths, "awswaf", "", "", 1.00},
		{KeyWAFManagedRuleGroupMonth, "awswaf", "", "", 1.00},
		{KeyWAFRequestsMillion, "awswaf", "", "", 0.60},
		{KeyECRStorageGBMonths, "AmazonECR", "", "TimedStorage-ByteHrs", 0.10},
		{KeyKMSKeyMonths, "awskms", "", "", 1.00},
		{KeyS3StandardGBMonths, "AmazonS3", "Storage", "", 0.023},
		{KeyAmplifyBuildMinutes, "AWSAmplify", "", "", 0.01},
		{KeyAmplifyStorageGBMonths, "AWSAmplify", "", "", 0.023},
		{KeyAmplifyDataServedGB, "AWSAmplify", "", "", 0.15},
		{KeyInstanceHours("t3.micro"), "AmazonEC2", "Compute Instance", "t3.micro", 0.0104},
		{KeyInstanceHours("t3.small"), "AmazonEC2", "Compute Instance", "t3.small", 0.0208},
		{KeyInstanceHours("t3.medium"), "AmazonEC2", "Compute Instance", "t3.medium", 0.0416},
		{KeyInstanceHours("t3.large"), "AmazonEC2", "Compute Instance", "t3.large", 0.0832},
	}
	if got := len(c.Regions["us-east-1"].Prices); got != len(want) {
		t.Errorf("us-east-1 has %d prices, want %d", got, len(want))
	}
	for _, w := range want {
		t.Run(w.key+" is priced as the table says", func(t *testing.T) {
			t.Parallel()
			p, ok := c.Price("us-east-1", w.key)
			switch {
			case !ok:
				t.Fatalf("no price")
			case p.USD != w.usd:
				t.Errorf("USD = %v, want %v", p.USD, w.usd)
			case p.Unit == "" || p.Source.ServiceCode == "":
				t.Errorf("unit %q, service code %q: both must be set", p.Unit, p.Source.ServiceCode)
			case w.service != "" && p.Source.ServiceCode != w.service:
				t.Errorf("service code = %q, want %q", p.Source.ServiceCode, w.service)
			case w.family != "" && p.Source.Filters["productFamily"] != w.family:
				t.Errorf("productFamily = %q, want %q", p.Source.Filters["productFamily"], w.family)
			case w.usageType != "" && !strings.Contains(p.Source.UsageTypeContains, w.usageType):
				t.Errorf("usagetype fragment = %q, want it to contain %q", p.Source.UsageTypeContains, w.usageType)
			}
		})
	}
}

func TestEndpointDataIsTieredByPetabytes(t *testing.T) {
	t.Parallel()
	p, _ := Embedded().Price("us-east-1", KeyInterfaceEndpointGB)
	// First 1 PB (1,048,576 GB) at $0.01, next 4 PB (to 5,242,880 GB) at $0.006, then $0.004.
	want := []Tier{{UpTo: 1048576, USD: 0.01}, {UpTo: 5242880, USD: 0.006}, {UpTo: 0, USD: 0.004}}
	if len(p.Tiers) != len(want) {
		t.Fatalf("tiers = %v, want %v", p.Tiers, want)
	}
	for i := range want {
		if p.Tiers[i] != want[i] {
			t.Errorf("tier %d = %v, want %v", i, p.Tiers[i], want[i])
		}
	}
}

func TestLogsInsightsSaysWhereItsPriceComesFrom(t *testing.T) {
	t.Parallel()
	p, _ := Embedded().Price("us-east-1", KeyLogsScannedGB)
	if !strings.Contains(p.Source.Note, "not in the reference price table") {
		t.Errorf("source note = %q, want it to say the price is not from the reference table", p.Source.Note)
	}
}

func TestPriceNeverFallsBackToAnotherRegion(t *testing.T) {
	t.Parallel()
	if _, ok := Embedded().Price("eu-west-1", KeyNATGatewayHours); ok {
		t.Error("eu-west-1 got a price from a catalog that only has us-east-1")
	}
}

func TestLoadCatalogRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, json, wantInError string
	}{
		{"text that is not JSON is refused", `not json`, "not a catalog JSON document"},
		{"a newer format asks for a newer gantry", `{"format": 2, "currency": "USD", "effective_date": "2030-01-01", "hours_per_month": 730, "regions": {}}`, "upgrade gantry"},
		{"a region missing a key names the key", `{"format": 1, "currency": "USD", "effective_date": "2026-11-01", "hours_per_month": 730,
		  "regions": {"us-east-1": {"prices": {"ec2.nat_gateway.hours": {"usd": 0.045, "unit": "hour", "source": {"service_code": "AmazonEC2", "filters": {}}}}}}}`, "ecs.fargate.vcpu_hours"},
		{"another currency is refused", `{"format": 1, "currency": "EUR", "effective_date": "2026-11-01", "hours_per_month": 730, "regions": {}}`, "currency"},
		{"an unknown field is refused", `{"format": 1, "colour": "red"}`, "colour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadCatalog(strings.NewReader(tc.json))
			if !errors.Is(err, ErrBadCatalog) {
				t.Fatalf("err = %v, want ErrBadCatalog", err)
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("err = %q, want it to mention %q", err, tc.wantInError)
			}
		})
	}
}
