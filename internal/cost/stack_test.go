package cost

import (
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The first user's stack, planned by Terraform (testdata/stack/README.md says how).

func stackEstimate(t *testing.T, name string) *Estimate {
	t.Helper()
	plan, err := os.ReadFile("testdata/stack/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return mustEstimate(t, plan, nil)
}

func TestCreatingTheStackCostsItsListPrices(t *testing.T) {
	t.Parallel()
	e := stackEstimate(t, "create")
	// Line by line, at list prices, 730 h a month, without usage:
	//   ECS service, 1 task of 0.5 vCPU / 1 GB: 365 vCPU-h × $0.04048 = $14.7752
	//                                         + 730 GB-h × $0.004445 = $3.24485  → $18.02005
	//   ALB: 730 h × $0.0225 = $16.425, + 2 public IPv4 (2 subnets) × 730 h × $0.005 = $7.30 → $23.725
	//   2 NAT gateways: 2 × 730 h × $0.045 = $65.70
	//   2 EIPs (the NAT gateways' addresses): 2 × 730 h × $0.005 = $7.30
	//   2 Interface endpoints (ecr.api, ecr.dkr) × 2 subnets: 4 × 730 h × $0.01 = $29.20
	//   3 secrets × $0.40 = $1.20
	//   Route53 zone: $0.50
	//   Log groups, records, ECR repository, Amplify app: usage only, $0 without a usage file.
	//   Total: 18.02005 + 23.725 + 65.70 + 7.30 + 29.20 + 1.20 + 0.50 = $145.64505
	want := map[string]float64{
		"module.ecs.aws_ecs_service.app":                                                18.02005,
		"module.alb.aws_lb.api":                                                         23.725,
		"module.network.aws_nat_gateway.this[0]":                                        32.85,
		"module.network.aws_nat_gateway.this[1]":                                        32.85,
		"module.network.aws_eip.nat[0]":                                                 3.65,
		"module.network.aws_eip.nat[1]":                                                 3.65,
		`module.network.aws_vpc_endpoint.interface["ecr.api"]`:                          14.6,
		`module.network.aws_vpc_endpoint.interface["ecr.dkr"]`:                          14.6,
		`module.secrets.aws_secretsmanager_secret.this["classla/supabase/credentials"]`: 0.4,
		`module.secrets.aws_secretsmanager_secret.this["classla/workos/credentials"]`:   0.4,
		`module.secrets.aws_secretsmanager_secret.this["classla/app/secrets"]`:          0.4,
		"module.dns.aws_route53_zone.this":                                              0.5,
	}
	for address, monthly := range want {
		if got := resourceByAddress(t, e, address).MonthlyAfter; !cmp.Equal(got, monthly, approx) {
			t.Errorf("%s = %v a month, want %v", address, got, monthly)
		}
	}
	if !cmp.Equal(e.MonthlyAfter, 145.64505, approx) || e.MonthlyBefore != 0 || e.PercentDelta != nil {
		t.Errorf("total = %v → %v (percent %v), want 0 → 145.64505 with no percent", e.MonthlyBefore, e.MonthlyAfter, e.PercentDelta)
	}
	if got := formatMoney(e.MonthlyAfter); got != "$145.65" {
		t.Errorf("total printed as %s, want $145.65", got)
	}
	if len(e.Unpriced) != 0 {
		t.Errorf("unpriced = %v, want none", e.UnpricedDetails)
	}
	for _, free := range []string{`module.acm["api.classla.org"].aws_acm_certificate.this`, "module.network.module.flow_logs[0].aws_flow_log.this",
		"module.network.aws_vpc_endpoint.s3", "module.ecs.aws_ecs_task_definition.app", "module.dns.aws_route53_record.api"} {
		if !slices.Contains(e.Free, free) {
			t.Errorf("%s is not listed as free", free)
		}
	}
	for _, usage := range []string{"module.ecs.aws_cloudwatch_log_group.app", "module.dns.aws_route53_record.app",
		"module.ecr.aws_ecr_repository.this", "module.amplify.aws_amplify_app.frontend"} {
		if !slices.Contains(e.UsageUnknown, usage) {
			t.Errorf("%s is not listed as depending on usage", usage)
		}
	}
}

func TestRemovingOneNATGatewaySavesItsHoursAndItsAddress(t *testing.T) {
	t.Parallel()
	e := stackEstimate(t, "nat_removal")
	// −(730 h × $0.045) = −$32.85 for the gateway, −(730 h × $0.005) = −$3.65 for its EIP.
	// Before $145.64505 (the created stack), after $145.64505 − $36.50 = $109.14505.
	var changed []string
	for _, r := range changedResources(e) {
		changed = append(changed, r.Address+" "+formatDelta(r.MonthlyDelta))
	}
	want := []string{"module.network.aws_nat_gateway.this[1] \u2212$32.85", "module.network.aws_eip.nat[1] \u2212$3.65"}
	if diff := cmp.Diff(want, changed); diff != "" {
		t.Errorf("changed resources (-want +got):\n%s", diff)
	}
	if !cmp.Equal(e.MonthlyBefore, 145.64505, approx) || !cmp.Equal(e.MonthlyAfter, 109.14505, approx) {
		t.Errorf("totals = %v → %v, want 145.64505 → 109.14505", e.MonthlyBefore, e.MonthlyAfter)
	}
}

func TestResizingTheFargateTaskChangesTheServicesCost(t *testing.T) {
	t.Parallel()
	e := stackEstimate(t, "fargate_resize")
	// 0.5 vCPU / 1 GB → 1 vCPU / 2 GB, one task:
	// before $14.7752 + $3.24485 = $18.02005; after 730 × $0.04048 + 1,460 × $0.004445 = $29.5504 + $6.4897 = $36.0401.
	// Change +$18.02005; the total goes from $145.64505 to $163.6651.
	changed := changedResources(e)
	if len(changed) != 1 || changed[0].Address != "module.ecs.aws_ecs_service.app" {
		t.Fatalf("changed = %v, want only the ECS service", changed)
	}
	if svc := changed[0]; !cmp.Equal(svc.MonthlyBefore, 18.02005, approx) || !cmp.Equal(svc.MonthlyAfter, 36.0401, approx) {
		t.Errorf("service = %v → %v, want 18.02005 → 36.0401", svc.MonthlyBefore, svc.MonthlyAfter)
	}
	if !cmp.Equal(e.MonthlyDelta, 18.02005, approx) || !cmp.Equal(e.MonthlyAfter, 163.6651, approx) {
		t.Errorf("total change = %v (after %v), want +18.02005 (after 163.6651)", e.MonthlyDelta, e.MonthlyAfter)
	}
}
