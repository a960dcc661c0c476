// Package cost prices Terraform plans: an embedded, versioned AWS price catalog, an estimator
// that turns the resources of a `terraform show -json` plan into cost components, usage files
// in Infracost's format for usage-priced components, and the diff of before and after.
package cost

// Catalog is a set of list prices with the date they took effect. It is stored as JSON
// (catalog/aws.json, embedded) and rebuilt by `gantry prices refresh` from the AWS Price List API.
type Catalog struct {
	// Format is the catalog file's format version (1); a newer one is refused with a clear error.
	Format   int    `json:"format"`
	Currency string `json:"currency"` // "USD"
	// EffectiveDate is when these prices took effect (YYYY-MM-DD), shown with every estimate.
	EffectiveDate string `json:"effective_date"`
	// HoursPerMonth converts hourly prices to monthly ones (730).
	HoursPerMonth float64 `json:"hours_per_month"`
	// Regions maps an AWS region ("us-east-1") to its prices.
	Regions map[string]Region `json:"regions"`
}

// Region holds one region's prices by key (see the Key constants).
type Region struct {
	Prices map[string]Price `json:"prices"`
}

// Price is the list price of one billable unit.
type Price struct {
	// USD per Unit. For tiered prices it is the first tier's price.
	USD  float64 `json:"usd"`
	Unit string  `json:"unit"` // e.g. "hour", "GB", "GB-month", "vCPU-hour", "10K requests"
	// Tiers, when present, price successive slices of monthly quantity (ascending UpTo; the last
	// tier has UpTo 0, meaning no upper bound).
	Tiers []Tier `json:"tiers,omitempty"`
	// Source says where the price came from in the Price List API, so a refresh can find it again.
	Source Source `json:"source"`
}

// Tier is one slice of a tiered price.
type Tier struct {
	UpTo float64 `json:"up_to"` // upper bound of the slice in Unit; 0: unbounded
	USD  float64 `json:"usd"`
}

// Source identifies a price in the AWS Price List API (pricing:GetProducts).
type Source struct {
	ServiceCode string            `json:"service_code"` // e.g. "AmazonECS"
	Filters     map[string]string `json:"filters"`      // attribute → value, e.g. {"productFamily": "Compute", "usagetype": "USE1-Fargate-vCPU-Hours:perCPU"}
	// UsageTypeContains, when set, selects the product whose usagetype contains it (the table in
	// the price reference gives usage types as fragments).
	UsageTypeContains string `json:"usagetype_contains,omitempty"`
	// Note says what a reader of the catalog should know about the price: a tier boundary,
	// or that it is not from the reference price table and where it was taken from.
	Note string `json:"note,omitempty"`
}

// Price keys: one per billable unit gantry knows. The catalog must carry every one of them for
// each region it covers (a test checks it).
const (
	KeyFargateVCPUHours         = "ecs.fargate.vcpu_hours"
	KeyFargateGBHours           = "ecs.fargate.gb_hours"
	KeyALBHours                 = "elb.alb.hours"
	KeyALBLCUHours              = "elb.alb.lcu_hours"
	KeyNLBHours                 = "elb.nlb.hours"
	KeyNLBNLCUHours             = "elb.nlb.nlcu_hours"
	KeyNATGatewayHours          = "ec2.nat_gateway.hours"
	KeyNATGatewayGB             = "ec2.nat_gateway.gb"
	KeyPublicIPv4Hours          = "vpc.public_ipv4.hours"
	KeyInterfaceEndpointHours   = "vpc.endpoint.hours"
	KeyInterfaceEndpointGB      = "vpc.endpoint.gb" // tiered: first 1 PB, next 4 PB, over 5 PB
	KeySecretMonths             = "secretsmanager.secret.months"
	KeySecretRequests10K        = "secretsmanager.requests_10k"
	KeyLogsIngestionGB          = "logs.ingestion_gb"
	KeyLogsStorageGBMonths      = "logs.storage_gb_months"
	KeyLogsScannedGB            = "logs.insights_scanned_gb"
	KeyAlarmStandard            = "cloudwatch.alarm.standard"
	KeyAlarmHighResolution      = "cloudwatch.alarm.high_resolution"
	KeyDashboardMonths          = "cloudwatch.dashboard.months"
	KeyRoute53ZoneMonths        = "route53.zone.months"
	KeyRoute53QueriesMillion    = "route53.queries_million"
	KeyACMPrivateCertificate    = "acm.private_certificate"
	KeyWAFWebACLMonths          = "waf.web_acl.months"
	KeyWAFRuleMonths            = "waf.rule.months"
	KeyWAFRuleGroupMonths       = "waf.rule_group.months"
	KeyWAFManagedRuleGroupMonth = "waf.managed_rule_group.months"
	KeyWAFRequestsMillion       = "waf.requests_million"
	KeyECRStorageGBMonths       = "ecr.storage_gb_months"
	KeyKMSKeyMonths             = "kms.key.months"
	KeyS3StandardGBMonths       = "s3.standard.gb_months"
	KeyAmplifyBuildMinutes      = "amplify.build_minutes"
	KeyAmplifyStorageGBMonths   = "amplify.storage_gb_months"
	KeyAmplifyDataServedGB      = "amplify.data_served_gb"
)

// KeyInstanceHours is the price key of an EC2 instance type's Linux on-demand hour
// ("ec2.instance.t3.micro.hours").
func KeyInstanceHours(instanceType string) string { return "ec2.instance." + instanceType + ".hours" }
