package cost

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNoResourceIsDropped(t *testing.T) {
	t.Parallel()
	plan := planOf(t, "",
		create("aws_iam_role.task", `{"name": "task"}`),
		create("aws_vpc_endpoint.s3", `{"vpc_endpoint_type": "Gateway"}`),
		create("aws_acm_certificate.api", `{"domain_name": "api.classla.org"}`),
		create("aws_route53_record.api", `{"name": "api", "type": "A", "alias": [{"name": "lb.amazonaws.com"}]}`),
		create("aws_ecs_task_definition.app", `{"cpu": "512", "memory": "1024"}`),
		create("aws_ecs_service.worker", `{"launch_type": "EC2", "desired_count": 3}`),
		create("aws_dynamodb_table.locks", `{"name": "locks"}`),
		create("aws_gamelift_fleet.game", `{"name": "game"}`),
		create("aws_nat_gateway.this", `{}`),
	)
	e := mustEstimate(t, plan, nil)
	wantFree := []string{"aws_iam_role.task", "aws_vpc_endpoint.s3", "aws_acm_certificate.api", "aws_route53_record.api",
		"aws_ecs_task_definition.app", "aws_ecs_service.worker"}
	if diff := cmp.Diff(wantFree, e.Free); diff != "" {
		t.Errorf("free (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"aws_dynamodb_table.locks", "aws_gamelift_fleet.game"}, e.Unpriced); diff != "" {
		t.Errorf("unpriced (-want +got):\n%s", diff)
	}
	if got := e.UnpricedDetails[0].Reason; !strings.Contains(got, "does not cover aws_dynamodb_table") {
		t.Errorf("reason = %q, want it to say the catalog does not cover the type", got)
	}
	if len(e.Resources) != 1 || e.Resources[0].Address != "aws_nat_gateway.this" {
		t.Errorf("priced = %v, want only the NAT gateway", e.Resources)
	}
}

func TestAResourceInARegionTheCatalogLacksIsUnpriced(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, config, variables string
	}{
		{"a region written in the provider block", `{"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
		  "root_module": {"resources": [{"address": "aws_nat_gateway.this", "mode": "managed", "type": "aws_nat_gateway", "name": "this", "provider_config_key": "aws"}]}}`, ""},
		{"a region from a variable", `{"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}}},
		  "root_module": {"resources": [{"address": "aws_nat_gateway.this", "mode": "managed", "type": "aws_nat_gateway", "name": "this", "provider_config_key": "aws"}]}}`,
			`"variables": {"region": {"value": "eu-west-1"}},`},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is honoured, not replaced by us-east-1's prices", func(t *testing.T) {
			t.Parallel()
			plan := planOf(t, tc.config, create("aws_nat_gateway.this", `{}`))
			plan = []byte(strings.Replace(string(plan), `"planned_values"`, tc.variables+`"planned_values"`, 1))
			e := mustEstimate(t, plan, nil)
			if len(e.Resources) != 0 || len(e.UnpricedDetails) != 1 {
				t.Fatalf("priced %v, unpriced %v; want the NAT gateway unpriced", e.Resources, e.UnpricedDetails)
			}
			if got := e.UnpricedDetails[0].Reason; !strings.Contains(got, "eu-west-1") || !strings.Contains(got, "gantry prices refresh --region eu-west-1") {
				t.Errorf("reason = %q, want it to name the region and how to add it", got)
			}
		})
	}
}

func TestTheDefaultRegionAppliesWhenTheProviderDoesNotSay(t *testing.T) {
	t.Parallel()
	plan := planOf(t, "", create("aws_eip.ip", `{}`))
	e, err := EstimatePlan(plan, Options{Region: "ap-south-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Unpriced) != 1 {
		t.Errorf("unpriced = %v, want the EIP unpriced in ap-south-1, which the catalog lacks", e.Unpriced)
	}
}

func TestAUsageBasedComponentWithoutUsageHasNoCost(t *testing.T) {
	t.Parallel()
	e := mustEstimate(t, planOf(t, "", create("aws_nat_gateway.this[0]", `{}`)), nil)
	// Only the hours are known: 730 h × $0.045 = $32.85.
	if !cmp.Equal(e.MonthlyAfter, 32.85, approx) {
		t.Errorf("monthly after = %v, want 32.85", e.MonthlyAfter)
	}
	if diff := cmp.Diff([]string{"aws_nat_gateway.this[0]"}, e.UsageUnknown); diff != "" {
		t.Errorf("usage_unknown (-want +got):\n%s", diff)
	}
	out, err := json.Marshal(e.Resources[0].Components[1])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"data processed","unit":"GB","quantity":null,"unit_price":0.045,"price_unit":"GB","monthly_cost":null,"usage_based":true}`
	if string(out) != want {
		t.Errorf("JSON = %s\nwant   %s", out, want)
	}
}

func TestWhatIsNotAPlanIsAClearError(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, input, want string }{
		{"empty input", "", "empty"},
		{"text that is not JSON", "Plan: 1 to add", "not a JSON object"},
		{"a JSON array", "[1, 2]", "not a JSON object"},
		{"JSON without format_version", `{"resource_changes": []}`, "format_version"},
		{"a state instead of a plan", `{"format_version": "1.0", "values": {}}`, "state, not a plan"},
		{"a plan of an unknown format", `{"format_version": "2.0", "planned_values": {}}`, "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			t.Parallel()
			_, err := EstimatePlan([]byte(tc.input), Options{})
			if !errors.Is(err, ErrNotPlan) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrNotPlan mentioning %q", err, tc.want)
			}
		})
	}
}

func TestTheEstimateJSONKeepsItsFieldNames(t *testing.T) {
	t.Parallel()
	e := mustEstimate(t, planOf(t, "", remove("aws_eip.nat[1]", `{"domain": "vpc"}`), noop("aws_eip.nat[0]", `{"domain": "vpc"}`)), nil)
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"currency", "hours_per_month", "catalog_date", "monthly_before", "monthly_after",
		"monthly_delta", "percent_delta", "resources", "free", "unpriced", "usage_unknown"} {
		if _, ok := got[key]; !ok {
			t.Errorf("field %q is missing from %s", key, out)
		}
	}
	r := got["resources"].([]any)[0].(map[string]any)
	for _, key := range []string{"address", "type", "action", "monthly_before", "monthly_after", "monthly_delta", "components"} {
		if _, ok := r[key]; !ok {
			t.Errorf("resource field %q is missing", key)
		}
	}
	c := r["components"].([]any)[0].(map[string]any)
	for _, key := range []string{"name", "unit", "quantity", "unit_price", "monthly_cost", "usage_based"} {
		if _, ok := c[key]; !ok {
			t.Errorf("component field %q is missing", key)
		}
	}
}

func TestADesiredCountUnknownAtPlanTimeIsReadFromTheModuleCall(t *testing.T) {
	t.Parallel()
	config := `{"root_module": {"module_calls": {"ecs": {"source": "./ecs",
	  "expressions": {"min_tasks": {"constant_value": 3}},
	  "module": {"resources": [{"address": "aws_ecs_service.app", "mode": "managed", "type": "aws_ecs_service", "name": "app",
	    "expressions": {"desired_count": {"references": ["var.min_tasks"]},
	                    "task_definition": {"references": ["aws_ecs_task_definition.app.arn", "aws_ecs_task_definition.app"]}}}]}}}}}`
	plan := planOf(t, config,
		create("module.ecs.aws_ecs_task_definition.app", `{"cpu": "256", "memory": "512"}`),
		change("module.ecs.aws_ecs_service.app", `["create"]`, "null", `{"launch_type": "FARGATE"}`,
			`{"desired_count": true, "task_definition": true}`))
	e := mustEstimate(t, plan, nil)
	// 3 tasks × 0.25 vCPU × 730 h = 547.5 vCPU-h × $0.04048 = $22.1628
	// 3 tasks × 0.5 GB × 730 h = 1,095 GB-h × $0.004445 = $4.867275; total $27.030075
	if got := resourceByAddress(t, e, "module.ecs.aws_ecs_service.app").MonthlyAfter; !cmp.Equal(got, 27.030075, approx) {
		t.Errorf("service = %v a month, want 27.030075", got)
	}
}
