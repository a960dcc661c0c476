package cost

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkEstimate5000 prices a generated plan of 5,000 resources in 50 modules: a mix of
// the priced types, free ones, and values unknown at plan time that must be followed
// through the configuration (task definitions, subnets).
func BenchmarkEstimate5000(b *testing.B) {
	plan := generatePlan(b, 50)
	usage, _, err := ParseUsage([]byte("version: 0.1\nresource_type_default_usage:\n  aws_cloudwatch_log_group:\n    monthly_data_ingested_gb: 5\n" +
		"resource_usage:\n  module.svc1.aws_nat_gateway.this[*]:\n    monthly_data_processed_gb: 100\n"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plan)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e, err := EstimatePlan(plan, Options{Usage: usage})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(e.Resources) + len(e.Free) + len(e.Unpriced); got != 5000 {
			b.Fatalf("%d resources accounted for, want 5000", got)
		}
	}
}

func generatePlan(tb testing.TB, modules int) []byte {
	tb.Helper()
	var changes []map[string]any
	calls := map[string]any{}
	for m := range modules {
		module := fmt.Sprintf("module.svc%d", m)
		add := func(typ, name string, index any, after, unknown map[string]any) {
			address := module + "." + typ + "." + name
			switch k := index.(type) {
			case int:
				address += fmt.Sprintf("[%d]", k)
			case string:
				address += fmt.Sprintf("[%q]", k)
			}
			changes = append(changes, map[string]any{
				"address": address, "module_address": module, "mode": "managed", "type": typ, "name": name, "index": index,
				"provider_name": "registry.terraform.io/hashicorp/aws",
				"change":        map[string]any{"actions": []string{"create"}, "before": nil, "after": after, "after_unknown": unknown},
			})
		}
		for i := range 10 {
			add("aws_subnet", "private", i, map[string]any{"cidr_block": fmt.Sprintf("10.%d.%d.0/24", m, i)}, map[string]any{"id": true})
			add("aws_vpc_endpoint", "iface", fmt.Sprintf("svc%d", i), map[string]any{"vpc_endpoint_type": "Interface"}, map[string]any{"subnet_ids": true})
			add("aws_ecs_task_definition", "app", i, map[string]any{"cpu": "512", "memory": "1024"}, map[string]any{"arn": true})
			add("aws_ecs_service", "app", i, map[string]any{"launch_type": "FARGATE", "desired_count": 2}, map[string]any{"task_definition": true})
			add("aws_nat_gateway", "this", i, map[string]any{"connectivity_type": "public"}, map[string]any{})
			add("aws_eip", "nat", i, map[string]any{"domain": "vpc"}, map[string]any{})
			add("aws_lb", "api", i, map[string]any{"load_balancer_type": "application", "internal": false}, map[string]any{"subnets": true})
			add("aws_secretsmanager_secret", "s", i, map[string]any{"name": fmt.Sprintf("s%d", i)}, map[string]any{})
			add("aws_cloudwatch_log_group", "l", i, map[string]any{"name": fmt.Sprintf("/l/%d", i)}, map[string]any{})
			add("aws_iam_role", "r", i, map[string]any{"name": fmt.Sprintf("r%d", i)}, map[string]any{})
		}
		ref := func(refs ...string) map[string]any { return map[string]any{"references": refs} }
		resource := func(typ, name string, expressions map[string]any) map[string]any {
			return map[string]any{"address": typ + "." + name, "mode": "managed", "type": typ, "name": name,
				"provider_config_key": "aws", "expressions": expressions}
		}
		calls[fmt.Sprintf("svc%d", m)] = map[string]any{"source": "./svc", "module": map[string]any{"resources": []any{
			resource("aws_vpc_endpoint", "iface", map[string]any{"subnet_ids": ref("aws_subnet.private")}),
			resource("aws_ecs_service", "app", map[string]any{"task_definition": ref("aws_ecs_task_definition.app", "count.index")}),
			resource("aws_lb", "api", map[string]any{"subnets": ref("aws_subnet.private")}),
		}}}
	}
	plan := map[string]any{
		"format_version": "1.2", "terraform_version": "1.5.7", "planned_values": map[string]any{"root_module": map[string]any{}},
		"resource_changes": changes,
		"configuration": map[string]any{
			"provider_config": map[string]any{"aws": map[string]any{"name": "aws", "expressions": map[string]any{"region": map[string]any{"constant_value": "us-east-1"}}}},
			"root_module":     map[string]any{"module_calls": calls},
		},
	}
	out, err := json.Marshal(plan)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
