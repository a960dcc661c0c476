package cost

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Expected figures are worked out in comments from the list prices of the reference price
// table (us-east-1, 730 hours a month), never taken from the code's output.

func fixedPart(name, unit string, quantity, unitPrice float64, priceUnit string, monthly float64) Component {
	return Component{Name: name, Unit: unit, Quantity: quantity, UnitPrice: unitPrice, PriceUnit: priceUnit, MonthlyCost: monthly}
}

func usagePart(name, unit string, quantity, unitPrice float64, priceUnit string, monthly float64) Component {
	return Component{Name: name, Unit: unit, Quantity: quantity, UnitPrice: unitPrice, PriceUnit: priceUnit, MonthlyCost: monthly,
		UsageBased: true, UsageKnown: true, UsageSource: "cost-usage.yml"}
}

func unknownPart(name, unit string, unitPrice float64, priceUnit string) Component {
	return Component{Name: name, Unit: unit, UnitPrice: unitPrice, PriceUnit: priceUnit, UsageBased: true}
}

var approx = cmpopts.EquateApprox(0, 1e-9)

const taskDef3 = `{"arn": "arn:aws:ecs:us-east-1:111111111111:task-definition/app:3", "family": "app", "revision": 3,
  "cpu": "512", "memory": "1024", "requires_compatibilities": ["FARGATE"]}`

func TestEveryComponentOfThePriceTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		changes []string
		config  string
		usage   string
		address string
		want    []Component
	}{
		{
			name: "a Fargate service of 512 CPU units and 1024 MiB costs half a vCPU and 1 GB all month",
			changes: []string{
				noop("aws_ecs_task_definition.app", taskDef3),
				create("aws_ecs_service.app", `{"launch_type": "FARGATE", "desired_count": 1,
				  "task_definition": "arn:aws:ecs:us-east-1:111111111111:task-definition/app:3"}`),
			},
			address: "aws_ecs_service.app",
			want: []Component{
				// 0.5 vCPU × 730 h = 365 vCPU-h × $0.04048 = $14.7752
				fixedPart("vCPU", "vCPU-hours", 365, 0.04048, "vCPU-hour", 14.7752),
				// 1 GB × 730 h = 730 GB-h × $0.004445 = $3.24485
				fixedPart("memory", "GB-hours", 730, 0.004445, "GB-hour", 3.24485),
			},
		},
		{
			name: "a task size written as 0.5 vCPU and 1 GB runs desired_count tasks",
			changes: []string{
				noop("aws_ecs_task_definition.app", `{"arn": "arn:td/app:7", "cpu": "0.5 vCPU", "memory": "1 GB"}`),
				create("aws_ecs_service.app", `{"launch_type": "FARGATE", "desired_count": 2, "task_definition": "arn:td/app:7"}`),
			},
			address: "aws_ecs_service.app",
			want: []Component{
				// 2 tasks × 0.5 vCPU × 730 h = 730 vCPU-h × $0.04048 = $29.5504
				fixedPart("vCPU", "vCPU-hours", 730, 0.04048, "vCPU-hour", 29.5504),
				// 2 tasks × 1 GB × 730 h = 1,460 GB-h × $0.004445 = $6.4897
				fixedPart("memory", "GB-hours", 1460, 0.004445, "GB-hour", 6.4897),
			},
		},
		{
			name: "a service whose task definition is created in the same plan takes its size through the configuration",
			changes: []string{
				create("module.ecs.aws_ecs_task_definition.app", `{"cpu": "1024", "memory": "2048", "family": "app"}`),
				change("module.ecs.aws_ecs_service.app", `["create"]`, "null",
					`{"launch_type": "FARGATE", "desired_count": 1}`, `{"task_definition": true}`),
			},
			config: `{"root_module": {"module_calls": {"ecs": {"source": "./ecs", "module": {"resources": [
			  {"address": "aws_ecs_service.app", "mode": "managed", "type": "aws_ecs_service", "name": "app",
			   "expressions": {"task_definition": {"references": ["aws_ecs_task_definition.app.arn", "aws_ecs_task_definition.app"]}}}]}}}}}`,
			address: "module.ecs.aws_ecs_service.app",
			want: []Component{
				// 1 vCPU × 730 h × $0.04048 = $29.5504
				fixedPart("vCPU", "vCPU-hours", 730, 0.04048, "vCPU-hour", 29.5504),
				// 2 GB × 730 h = 1,460 GB-h × $0.004445 = $6.4897
				fixedPart("memory", "GB-hours", 1460, 0.004445, "GB-hour", 6.4897),
			},
		},
		{
			name:    "an internal application load balancer costs its hours and the LCUs of processed bytes",
			changes: []string{create("aws_lb.api", `{"load_balancer_type": "application", "internal": true}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_lb.api:\n    processed_bytes_gb: 1000\n",
			address: "aws_lb.api",
			want: []Component{
				// 730 h × $0.0225 = $16.425
				fixedPart("application load balancer", "hours", 730, 0.0225, "hour", 16.425),
				// 1,000 GB / 730 h = 1.3699 LCU on average × 730 h = 1,000 LCU-h × $0.008 = $8.00
				usagePart("capacity units", "LCU-hours", 1000, 0.008, "LCU-hour", 8),
			},
		},
		{
			name:    "load balancer capacity is billed on its busiest dimension",
			changes: []string{create("aws_alb.api", `{"internal": true}`)},
			usage: "version: 0.1\nresource_usage:\n  aws_alb.api:\n    new_connections: 50\n    active_connections: 3000\n" +
				"    processed_bytes_gb: 730\n    rule_evaluations: 500\n",
			address: "aws_alb.api",
			want: []Component{
				fixedPart("application load balancer", "hours", 730, 0.0225, "hour", 16.425),
				// new 50/s ÷ 25 = 2 LCU; active 3,000/min ÷ 3,000 = 1; 730 GB ÷ 730 h = 1; rules 500/s ÷ 1,000 = 0.5.
				// max 2 LCU × 730 h = 1,460 LCU-h × $0.008 = $11.68
				usagePart("capacity units", "LCU-hours", 1460, 0.008, "LCU-hour", 11.68),
			},
		},
		{
			name:    "an internet-facing load balancer holds a public IPv4 address in each of its subnets",
			changes: []string{create("aws_lb.web", `{"load_balancer_type": "application", "internal": false, "subnets": ["subnet-a", "subnet-b"]}`)},
			address: "aws_lb.web",
			want: []Component{
				fixedPart("application load balancer", "hours", 730, 0.0225, "hour", 16.425),
				unknownPart("capacity units", "LCU-hours", 0.008, "LCU-hour"),
				// 2 addresses × 730 h = 1,460 h × $0.005 = $7.30
				fixedPart("public IPv4 addresses, one per subnet", "hours", 1460, 0.005, "hour", 7.3),
			},
		},
		{
			name:    "a network load balancer costs its hours and NLCUs",
			changes: []string{create("aws_lb.tcp", `{"load_balancer_type": "network", "internal": true}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_lb.tcp:\n    new_connections: 1600\n",
			address: "aws_lb.tcp",
			want: []Component{
				// 730 h × $0.0225 = $16.425
				fixedPart("network load balancer", "hours", 730, 0.0225, "hour", 16.425),
				// 1,600 new flows/s ÷ 800 = 2 NLCU × 730 h = 1,460 NLCU-h × $0.006 = $8.76
				usagePart("capacity units", "LCU-hours", 1460, 0.006, "NLCU-hour", 8.76),
			},
		},
		{
			name:    "a NAT gateway costs its hours and the data it processes",
			changes: []string{create("aws_nat_gateway.this[0]", `{"connectivity_type": "public"}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_nat_gateway.this[*]:\n    monthly_data_processed_gb: 100\n",
			address: "aws_nat_gateway.this[0]",
			want: []Component{
				// 730 h × $0.045 = $32.85
				fixedPart("NAT gateway", "hours", 730, 0.045, "hour", 32.85),
				// 100 GB × $0.045 = $4.50
				usagePart("data processed", "GB", 100, 0.045, "GB", 4.5),
			},
		},
		{
			name:    "an Elastic IP is a public IPv4 address billed every hour",
			changes: []string{create("aws_eip.nat[0]", `{"domain": "vpc"}`)},
			address: "aws_eip.nat[0]",
			// 730 h × $0.005 = $3.65
			want: []Component{fixedPart("public IPv4 address", "hours", 730, 0.005, "hour", 3.65)},
		},
		{
			name:    "an Interface endpoint costs per subnet it is placed in, plus data",
			changes: []string{create("aws_vpc_endpoint.ecr", `{"vpc_endpoint_type": "Interface", "subnet_ids": ["subnet-a", "subnet-b"]}`)},
			usage:   "version: 0.1\nresource_type_default_usage:\n  aws_vpc_endpoint:\n    monthly_data_processed_gb: 1000\n",
			address: "aws_vpc_endpoint.ecr",
			want: []Component{
				// 2 subnets × 730 h = 1,460 h × $0.01 = $14.60
				fixedPart("endpoint, per subnet", "hours", 1460, 0.01, "hour", 14.6),
				// 1,000 GB × $0.01 = $10.00
				usagePart("data processed", "GB", 1000, 0.01, "GB", 10),
			},
		},
		{
			name:    "endpoint data beyond the first petabyte is priced at the next tier",
			changes: []string{create("aws_vpc_endpoint.big", `{"vpc_endpoint_type": "Interface", "subnet_ids": ["subnet-a"]}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_vpc_endpoint.big:\n    monthly_data_processed_gb: 2097152\n",
			address: "aws_vpc_endpoint.big",
			want: []Component{
				// 1 subnet × 730 h × $0.01 = $7.30
				fixedPart("endpoint, per subnet", "hours", 730, 0.01, "hour", 7.3),
				// 2 PB = 2,097,152 GB: first 1,048,576 GB × $0.01 = $10,485.76,
				// next 1,048,576 GB × $0.006 = $6,291.456; total $16,777.216
				usagePart("data processed", "GB", 2097152, 0.01, "GB", 16777.216),
			},
		},
		{
			name: "an Interface endpoint in subnets created by the same plan counts the referenced subnets",
			changes: []string{
				create("aws_subnet.private[0]", `{"cidr_block": "10.0.0.0/24"}`),
				create("aws_subnet.private[1]", `{"cidr_block": "10.0.1.0/24"}`),
				create("aws_subnet.private[2]", `{"cidr_block": "10.0.2.0/24"}`),
				change("aws_vpc_endpoint.ecr", `["create"]`, "null", `{"vpc_endpoint_type": "Interface"}`, `{"subnet_ids": true}`),
			},
			config: `{"root_module": {"resources": [{"address": "aws_vpc_endpoint.ecr", "mode": "managed", "type": "aws_vpc_endpoint", "name": "ecr",
			  "expressions": {"subnet_ids": {"references": ["aws_subnet.private"]}}}]}}`,
			address: "aws_vpc_endpoint.ecr",
			want: []Component{
				// 3 subnets × 730 h = 2,190 h × $0.01 = $21.90
				fixedPart("endpoint, per subnet", "hours", 2190, 0.01, "hour", 21.9),
				unknownPart("data processed", "GB", 0.01, "GB"),
			},
		},
		{
			name:    "a secret costs a month and its API requests",
			changes: []string{create("aws_secretsmanager_secret.db", `{"name": "db"}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_secretsmanager_secret.db:\n    monthly_requests: 1000000\n",
			address: "aws_secretsmanager_secret.db",
			want: []Component{
				// 1 secret × $0.40 = $0.40
				fixedPart("secret", "months", 1, 0.40, "secret-month", 0.40),
				// 1,000,000 requests = 100 × 10K × $0.05 = $5.00
				usagePart("API requests", "10K requests", 100, 0.05, "10K requests", 5),
			},
		},
		{
			name:    "a log group costs its ingestion, storage and Insights scans",
			changes: []string{create("aws_cloudwatch_log_group.app", `{"name": "/ecs/app", "retention_in_days": 30}`)},
			usage: "version: 0.1\nresource_usage:\n  aws_cloudwatch_log_group.app:\n    monthly_data_ingested_gb: 5\n" +
				"    storage_gb: 10\n    monthly_data_scanned_gb: 100\n",
			address: "aws_cloudwatch_log_group.app",
			want: []Component{
				// 5 GB × $0.50 = $2.50
				usagePart("ingestion", "GB", 5, 0.50, "GB", 2.5),
				// 10 GB-month × $0.03 = $0.30
				usagePart("storage", "GB-months", 10, 0.03, "GB-month", 0.3),
				// 100 GB scanned × $0.005 = $0.50
				usagePart("Insights queries, data scanned", "GB", 100, 0.005, "GB", 0.5),
			},
		},
		{
			name:    "a standard resolution alarm costs one alarm metric",
			changes: []string{create("aws_cloudwatch_metric_alarm.cpu", `{"metric_name": "CPUUtilization", "period": 300}`)},
			address: "aws_cloudwatch_metric_alarm.cpu",
			// 1 metric × $0.10 = $0.10
			want: []Component{fixedPart("standard resolution alarm metrics", "alarm metrics", 1, 0.10, "alarm metric-month", 0.10)},
		},
		{
			name:    "an alarm with a period under a minute is high resolution",
			changes: []string{create("aws_cloudwatch_metric_alarm.fast", `{"metric_name": "Latency", "period": 10}`)},
			address: "aws_cloudwatch_metric_alarm.fast",
			// 1 metric × $0.30 = $0.30
			want: []Component{fixedPart("high resolution alarm metrics", "alarm metrics", 1, 0.30, "alarm metric-month", 0.30)},
		},
		{
			name: "an anomaly detection alarm counts three metrics",
			changes: []string{create("aws_cloudwatch_metric_alarm.anomaly", `{"metric_query": [
			  {"id": "e1", "expression": "ANOMALY_DETECTION_BAND(m1, 2)", "metric": []},
			  {"id": "m1", "metric": [{"metric_name": "RequestCount", "period": 300}]}]}`)},
			address: "aws_cloudwatch_metric_alarm.anomaly",
			// 1 metric × 3 (metric, upper and lower band) × $0.10 = $0.30
			want: []Component{fixedPart("anomaly detection standard resolution alarm metrics", "alarm metrics", 3, 0.10, "alarm metric-month", 0.30)},
		},
		{
			name: "a metric math alarm counts each metric it reads",
			changes: []string{create("aws_cloudwatch_metric_alarm.ratio", `{"metric_query": [
			  {"id": "e1", "expression": "m1/m2", "metric": []},
			  {"id": "m1", "metric": [{"metric_name": "5xx", "period": 60}]},
			  {"id": "m2", "metric": [{"metric_name": "Requests", "period": 60}]}]}`)},
			address: "aws_cloudwatch_metric_alarm.ratio",
			// 2 metrics × $0.10 = $0.20
			want: []Component{fixedPart("standard resolution alarm metrics", "alarm metrics", 2, 0.10, "alarm metric-month", 0.20)},
		},
		{
			name:    "a dashboard costs a month",
			changes: []string{create("aws_cloudwatch_dashboard.main", `{"dashboard_name": "main"}`)},
			address: "aws_cloudwatch_dashboard.main",
			want:    []Component{fixedPart("dashboard", "months", 1, 3.00, "dashboard-month", 3.00)},
		},
		{
			name:    "a hosted zone costs a month",
			changes: []string{create("aws_route53_zone.main", `{"name": "classla.org"}`)},
			address: "aws_route53_zone.main",
			want:    []Component{fixedPart("hosted zone", "months", 1, 0.50, "zone-month", 0.50)},
		},
		{
			name:    "a record costs its standard queries",
			changes: []string{create("aws_route53_record.app", `{"name": "app.classla.org", "type": "CNAME", "records": ["x.amplifyapp.com"], "alias": []}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_route53_record.app:\n    monthly_standard_queries: 1000000000\n",
			address: "aws_route53_record.app",
			// 1,000,000,000 queries = 1,000 × 1M × $0.40 = $400.00
			want: []Component{usagePart("standard queries", "1M queries", 1000, 0.40, "1M queries", 400)},
		},
		{
			name:    "a certificate from a private CA is priced",
			changes: []string{create("aws_acm_certificate.internal", `{"domain_name": "svc.internal", "certificate_authority_arn": "arn:aws:acm-pca:us-east-1:111111111111:certificate-authority/x"}`)},
			address: "aws_acm_certificate.internal",
			want:    []Component{fixedPart("private certificate", "certificates", 1, 0.75, "certificate", 0.75)},
		},
		{
			name: "a web ACL costs itself, its rules, rule groups, managed rule groups and requests",
			changes: []string{create("aws_wafv2_web_acl.api", `{"name": "api", "rule": [
			  {"name": "rate", "statement": [{"rate_based_statement": [{"limit": 2000}], "managed_rule_group_statement": [], "rule_group_reference_statement": []}]},
			  {"name": "own", "statement": [{"rule_group_reference_statement": [{"arn": "arn:rg"}], "managed_rule_group_statement": []}]},
			  {"name": "common", "statement": [{"managed_rule_group_statement": [{"name": "AWSManagedRulesCommonRuleSet", "vendor_name": "AWS"}]}]},
			  {"name": "bad-inputs", "statement": [{"managed_rule_group_statement": [{"name": "AWSManagedRulesKnownBadInputsRuleSet", "vendor_name": "AWS"}]}]}]}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_wafv2_web_acl.api:\n    rule_group_rules: 5\n    monthly_requests: 10000000\n",
			address: "aws_wafv2_web_acl.api",
			want: []Component{
				fixedPart("web ACL", "months", 1, 5.00, "web ACL-month", 5.00),
				// 1 rule of its own + 5 rules inside rule groups (usage) = 6 × $1.00 = $6.00
				fixedPart("rules", "rules", 6, 1.00, "rule-month", 6.00),
				// 1 rule group × $1.00
				fixedPart("rule groups", "rule groups", 1, 1.00, "rule group-month", 1.00),
				// 2 managed rule groups × $1.00 = $2.00
				fixedPart("managed rule groups", "rule groups", 2, 1.00, "rule group-month", 2.00),
				// 10,000,000 requests = 10 × 1M × $0.60 = $6.00
				usagePart("requests", "1M requests", 10, 0.60, "1M requests", 6),
			},
		},
		{
			name:    "an ECR repository costs its storage",
			changes: []string{create("aws_ecr_repository.backend", `{"name": "backend"}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_ecr_repository.backend:\n    storage_gb: 20\n",
			address: "aws_ecr_repository.backend",
			// 20 GB-month × $0.10 = $2.00
			want: []Component{usagePart("storage", "GB-months", 20, 0.10, "GB-month", 2)},
		},
		{
			name:    "a customer managed KMS key costs a month",
			changes: []string{create("aws_kms_key.data", `{"description": "data"}`)},
			address: "aws_kms_key.data",
			want:    []Component{fixedPart("customer managed key", "months", 1, 1.00, "key-month", 1.00)},
		},
		{
			name:    "an S3 bucket costs its Standard storage",
			changes: []string{create("aws_s3_bucket.files", `{"bucket": "files"}`)},
			usage:   "version: 0.1\nresource_usage:\n  aws_s3_bucket.files:\n    standard:\n      storage_gb: 100\n",
			address: "aws_s3_bucket.files",
			// 100 GB-month × $0.023 = $2.30
			want: []Component{usagePart("Standard storage", "GB-months", 100, 0.023, "GB-month", 2.3)},
		},
		{
			name:    "an Amplify app costs build minutes, hosting storage and data served",
			changes: []string{create("aws_amplify_app.frontend", `{"name": "frontend", "platform": "WEB"}`)},
			usage: "version: 0.1\nresource_usage:\n  aws_amplify_app.frontend:\n    monthly_build_minutes: 1000\n" +
				"    storage_gb: 2\n    monthly_data_served_gb: 50\n",
			address: "aws_amplify_app.frontend",
			want: []Component{
				// 1,000 min × $0.01 = $10.00
				usagePart("build minutes", "minutes", 1000, 0.01, "build minute", 10),
				// 2 GB-month × $0.023 = $0.046
				usagePart("hosting storage", "GB-months", 2, 0.023, "GB-month", 0.046),
				// 50 GB × $0.15 = $7.50
				usagePart("data served", "GB", 50, 0.15, "GB", 7.5),
			},
		},
	}
	for _, it := range []struct {
		typ   string
		price float64
	}{{"t3.micro", 0.0104}, {"t3.small", 0.0208}, {"t3.medium", 0.0416}, {"t3.large", 0.0832}} {
		cases = append(cases, struct {
			name    string
			changes []string
			config  string
			usage   string
			address string
			want    []Component
		}{
			name:    "a " + it.typ + " instance costs its Linux on-demand hours",
			changes: []string{create("aws_instance.app", `{"instance_type": "`+it.typ+`", "tenancy": "default"}`)},
			address: "aws_instance.app",
			// t3.micro: 730 h × $0.0104 = $7.592; t3.small $15.184; t3.medium $30.368; t3.large $60.736
			want: []Component{fixedPart("instance ("+it.typ+", Linux)", "hours", 730, it.price, "hour", 730*it.price)},
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var usage *Usage
			if tc.usage != "" {
				usage = mustUsage(t, tc.usage)
			}
			e := mustEstimate(t, planOf(t, tc.config, tc.changes...), usage)
			got := resourceByAddress(t, e, tc.address)
			if diff := cmp.Diff(tc.want, got.Components, approx); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
		})
	}
}
