package refresh_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/pricing"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/cost/refresh"
	"github.com/classla/gantry/internal/testing/awsfake"
)

// product is what AWS lists for one catalog key in us-east-1: the usage types AWS really uses, its
// units (per single request or query where AWS counts them so) and the list prices of aws-prices.md.
type product struct {
	service string
	attrs   map[string]string
	dims    []awsfake.Dimension
}

func flat(unit string, usd float64) []awsfake.Dimension {
	return []awsfake.Dimension{{Unit: unit, USD: usd}}
}

func attrs(family, usagetype string, extra ...string) map[string]string {
	a := map[string]string{
		"usagetype": usagetype, "regionCode": "us-east-1", "location": "US East (N. Virginia)", "locationType": "AWS Region",
	}
	if family != "" {
		a["productFamily"] = family
	}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i]] = extra[i+1]
	}
	return a
}

func instance(size string, usd float64) product {
	return product{"AmazonEC2", attrs("Compute Instance", "BoxUsage:t3."+size,
		"instanceType", "t3."+size, "operatingSystem", "Linux", "tenancy", "Shared", "preInstalledSw", "NA",
		"capacitystatus", "Used", "operation", "RunInstances"), flat("Hrs", usd)}
}

// usEast1 holds one product per key of the embedded catalog, priced as the catalog is.
func usEast1() map[string]product {
	route53 := func(family, usagetype string) map[string]string {
		// Route 53 is global: its products carry no regionCode.
		return map[string]string{"productFamily": family, "usagetype": usagetype, "location": "Global"}
	}
	return map[string]product{
		cost.KeyFargateVCPUHours:           {"AmazonECS", attrs("Compute", "USE1-Fargate-vCPU-Hours:perCPU"), flat("hours", 0.04048)},
		cost.KeyFargateGBHours:             {"AmazonECS", attrs("Compute", "USE1-Fargate-GB-Hours"), flat("hours", 0.004445)},
		cost.KeyALBHours:                   {"AWSELB", attrs("Load Balancer-Application", "LoadBalancerUsage"), flat("Hrs", 0.0225)},
		cost.KeyALBLCUHours:                {"AWSELB", attrs("Load Balancer-Application", "LCUUsage"), flat("LCU-Hrs", 0.008)},
		cost.KeyNLBHours:                   {"AWSELB", attrs("Load Balancer-Network", "LoadBalancerUsage"), flat("Hrs", 0.0225)},
		cost.KeyNLBNLCUHours:               {"AWSELB", attrs("Load Balancer-Network", "LCUUsage"), flat("LCU-Hrs", 0.006)},
		cost.KeyNATGatewayHours:            {"AmazonEC2", attrs("NAT Gateway", "USE1-NatGateway-Hours"), flat("Hrs", 0.045)},
		cost.KeyNATGatewayGB:               {"AmazonEC2", attrs("NAT Gateway", "USE1-NatGateway-Bytes"), flat("GB", 0.045)},
		cost.KeyPublicIPv4Hours:            {"AmazonVPC", attrs("VPC Public IPv4 Address", "USE1-PublicIPv4:InUseAddress"), flat("Hrs", 0.005)},
		cost.KeyInterfaceEndpointHours:     {"AmazonVPC", attrs("VpcEndpoint", "USE1-VpcEndpoint-Hours"), flat("Hrs", 0.01)},
		cost.KeyInterfaceEndpointGB:        {"AmazonVPC", attrs("VpcEndpoint", "USE1-VpcEndpoint-Bytes"), endpointTiers(0.01, 0.006, 0.004)},
		cost.KeySecretMonths:               {"AWSSecretsManager", attrs("Secret", "USE1-AWSSecretsManager-Secrets"), flat("Secrets", 0.40)},
		cost.KeySecretRequests10K:          {"AWSSecretsManager", attrs("API Request", "USE1-AWSSecretsManagerAPIRequest"), flat("API Requests", 0.000005)},
		cost.KeyLogsIngestionGB:            {"AmazonCloudWatch", attrs("Data Payload", "USE1-DataProcessing-Bytes"), flat("GB", 0.50)},
		cost.KeyLogsStorageGBMonths:        {"AmazonCloudWatch", attrs("Storage Snapshot", "USE1-TimedStorage-ByteHrs"), flat("GB-Mo", 0.03)},
		cost.KeyLogsScannedGB:              {"AmazonCloudWatch", attrs("Data Payload", "USE1-DataScanned-Bytes"), flat("GB", 0.005)},
		cost.KeyAlarmStandard:              {"AmazonCloudWatch", attrs("Alarm", "USE1-CW:AlarmMonitorUsage"), flat("Alarms", 0.10)},
		cost.KeyAlarmHighResolution:        {"AmazonCloudWatch", attrs("Alarm", "USE1-CW:HighResAlarmMonitorUsage"), flat("Alarms", 0.30)},
		cost.KeyDashboardMonths:            {"AmazonCloudWatch", attrs("Dashboard", "USE1-DashboardsUsageHour-Basic"), flat("Dashboards", 3.00)},
		cost.KeyRoute53ZoneMonths:          {"AmazonRoute53", route53("DNS Zone", "HostedZone"), flat("HostedZone", 0.50)},
		cost.KeyRoute53QueriesMillion:      {"AmazonRoute53", route53("DNS Query", "DNS-Queries"), flat("Queries", 0.0000004)},
		cost.KeyACMPrivateCertificate:      {"AWSCertificateManager", attrs("", "USE1-PaidPrivateCA"), flat("Certificates", 0.75)},
		cost.KeyWAFWebACLMonths:            {"awswaf", attrs("Web Application Firewall", "USE1-WebACLV2"), flat("WebACL", 5.00)},
		cost.KeyWAFRuleMonths:              {"awswaf", attrs("Web Application Firewall", "USE1-RuleV2"), flat("Rule", 1.00)},
		cost.KeyWAFRequestsMillion:         {"awswaf", attrs("Web Application Firewall", "USE1-RequestV2-Tier1"), flat("Request", 0.0000006)},
		cost.KeyECRStorageGBMonths:         {"AmazonECR", attrs("EC2 Container Registry", "USE1-TimedStorage-ByteHrs"), flat("GB-Mo", 0.10)},
		cost.KeyKMSKeyMonths:               {"awskms", attrs("Encryption Key", "USE1-KMS-Keys"), flat("Keys", 1.00)},
		cost.KeyS3StandardGBMonths:         {"AmazonS3", attrs("Storage", "TimedStorage-ByteHrs", "volumeType", "Standard"), s3Tiers()},
		cost.KeyAmplifyBuildMinutes:        {"AWSAmplify", attrs("", "USE1-BuildDuration"), flat("minutes", 0.01)},
		cost.KeyAmplifyStorageGBMonths:     {"AWSAmplify", attrs("", "USE1-DataStorage"), flat("GB-Mo", 0.023)},
		cost.KeyAmplifyDataServedGB:        {"AWSAmplify", attrs("", "USE1-DataTransferOut"), flat("GB", 0.15)},
		cost.KeyInstanceHours("t3.micro"):  instance("micro", 0.0104),
		cost.KeyInstanceHours("t3.small"):  instance("small", 0.0208),
		cost.KeyInstanceHours("t3.medium"): instance("medium", 0.0416),
		cost.KeyInstanceHours("t3.large"):  instance("large", 0.0832),
		// The WAF rule group and managed rule group keys are billed as rules: the RuleV2 product above.
	}
}

// endpointTiers: first 1 PB (1,048,576 GB), next 4 PB (to 5,242,880 GB), over 5 PB.
func endpointTiers(first, next, over float64) []awsfake.Dimension {
	return []awsfake.Dimension{
		{Unit: "GB", USD: first, BeginRange: "0", EndRange: "1048576"},
		{Unit: "GB", USD: next, BeginRange: "1048576", EndRange: "5242880"},
		{Unit: "GB", USD: over, BeginRange: "5242880", EndRange: "Inf"},
	}
}

// s3Tiers: first 50 TB (51,200 GB), next 450 TB (to 512,000 GB), over 500 TB.
func s3Tiers() []awsfake.Dimension {
	return []awsfake.Dimension{
		{Unit: "GB-Mo", USD: 0.023, BeginRange: "0", EndRange: "51200"},
		{Unit: "GB-Mo", USD: 0.022, BeginRange: "51200", EndRange: "512000"},
		{Unit: "GB-Mo", USD: 0.021, BeginRange: "512000", EndRange: "Inf"},
	}
}

// distractors are products a query also returns and refresh must not take: other usage types of the
// same families, other regions, other operating systems, spot and ARM Fargate.
func addDistractors(p *awsfake.Pricing) {
	p.AddProduct("AmazonECS", attrs("Compute", "USE1-SpotUsage-Fargate-GB-Hours"), flat("hours", 0.00133))
	p.AddProduct("AmazonECS", attrs("Compute", "USE1-Fargate-ARM-vCPU-Hours:perCPU"), flat("hours", 0.03238))
	p.AddProduct("AmazonECS", map[string]string{"productFamily": "Compute", "usagetype": "SAE1-Fargate-vCPU-Hours:perCPU", "regionCode": "sa-east-1"}, flat("hours", 0.0696))
	p.AddProduct("AmazonEC2", attrs("Compute Instance", "BoxUsage:t3.micro", "instanceType", "t3.micro", "operatingSystem", "Windows",
		"tenancy", "Shared", "preInstalledSw", "NA", "capacitystatus", "Used"), flat("Hrs", 0.0196))
	p.AddProduct("AmazonVPC", attrs("VPC Public IPv4 Address", "USE1-PublicIPv4:IdleAddress"), flat("Hrs", 0.005))
	p.AddProduct("AmazonS3", attrs("Storage", "TimedStorage-SIA-ByteHrs", "volumeType", "Standard - Infrequent Access"), flat("GB-Mo", 0.0125))
}

// seed adds products to p, skipping keys in skip.
func seed(p *awsfake.Pricing, products map[string]product, skip ...string) {
	skipped := map[string]bool{}
	for _, k := range skip {
		skipped[k] = true
	}
	for key, prod := range products {
		if !skipped[key] {
			p.AddProduct(prod.service, prod.attrs, prod.dims)
		}
	}
}

// embedded reads the catalog file gantry embeds, fresh for each test (refresh must not modify it,
// and a test checks that it does not).
func embedded(t *testing.T) *cost.Catalog {
	t.Helper()
	data, err := os.ReadFile("../catalog/aws.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := cost.LoadCatalog(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the embedded catalog does not load: %v", err)
	}
	return c
}

// newClient builds the client as `gantry prices refresh` does, pointed at the fake.
func newClient(t *testing.T, p *awsfake.Pricing) *pricing.Client {
	t.Helper()
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":        awsfake.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":    awsfake.SecretAccessKey,
		"AWS_ENDPOINT_URL_PRICING": p.URL(),
	}
	c, err := refresh.NewClient(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}
