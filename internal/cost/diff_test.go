package cost

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// natRemovalPlan removes the second of two NAT gateways and its Elastic IP.
func natRemovalPlan(t *testing.T) []byte {
	return planOf(t, "",
		noop("module.network.aws_eip.nat[0]", `{"domain": "vpc"}`),
		remove("module.network.aws_eip.nat[1]", `{"domain": "vpc"}`),
		noop("module.network.aws_nat_gateway.this[0]", `{"connectivity_type": "public"}`),
		remove("module.network.aws_nat_gateway.this[1]", `{"connectivity_type": "public"}`),
		noop("module.network.aws_route_table.private[1]", `{}`),
	)
}

func TestRemovingANATGatewayShowsBothLines(t *testing.T) {
	t.Parallel()
	e := mustEstimate(t, natRemovalPlan(t), nil)
	// Before: 2 × (NAT 730 h × $0.045 = $32.85) + 2 × (EIP 730 h × $0.005 = $3.65) = $73.00.
	// After: $32.85 + $3.65 = $36.50. Change −$36.50, −50 %.
	want := struct{ before, after, delta, percent float64 }{73, 36.5, -36.5, -50}
	if !cmp.Equal(e.MonthlyBefore, want.before, approx) || !cmp.Equal(e.MonthlyAfter, want.after, approx) ||
		!cmp.Equal(e.MonthlyDelta, want.delta, approx) || e.PercentDelta == nil || !cmp.Equal(*e.PercentDelta, want.percent, approx) {
		t.Errorf("totals = %v → %v (%v, %v %%), want %v → %v (%v, %v %%)", e.MonthlyBefore, e.MonthlyAfter, e.MonthlyDelta,
			e.PercentDelta, want.before, want.after, want.delta, want.percent)
	}
	nat := resourceByAddress(t, e, "module.network.aws_nat_gateway.this[1]")
	eip := resourceByAddress(t, e, "module.network.aws_eip.nat[1]")
	if nat.Action != "delete" || !cmp.Equal(nat.MonthlyDelta, -32.85, approx) {
		t.Errorf("NAT gateway: %s %v, want delete −32.85", nat.Action, nat.MonthlyDelta)
	}
	if eip.Action != "delete" || !cmp.Equal(eip.MonthlyDelta, -3.65, approx) {
		t.Errorf("EIP: %s %v, want delete −3.65", eip.Action, eip.MonthlyDelta)
	}
	if got := nat.Changes(); len(got) != 2 || got[0].After != nil || got[0].Before.Name != "NAT gateway" {
		t.Errorf("changes of the removed NAT gateway = %+v, want its components removed", got)
	}
}

func TestPercentIsLeftOutWhenASideIsZero(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		plan []byte
	}{
		{"a plan that only creates", planOf(t, "", create("aws_eip.a", `{}`))},
		{"a plan that removes everything", planOf(t, "", remove("aws_eip.a", `{}`))},
		{"a plan of free resources", planOf(t, "", create("aws_vpc.main", `{}`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if e := mustEstimate(t, tc.plan, nil); e.PercentDelta != nil {
				t.Errorf("percent = %v, want none", *e.PercentDelta)
			}
		})
	}
}

func TestAReplacedTaskDefinitionResizesItsService(t *testing.T) {
	t.Parallel()
	config := `{"root_module": {"resources": [{"address": "aws_ecs_service.app", "mode": "managed", "type": "aws_ecs_service", "name": "app",
	  "expressions": {"task_definition": {"references": ["aws_ecs_task_definition.app.arn", "aws_ecs_task_definition.app"]}}}]}}`
	plan := planOf(t, config,
		change("aws_ecs_task_definition.app", `["delete", "create"]`,
			`{"arn": "arn:td/app:41", "family": "app", "revision": 41, "cpu": "512", "memory": "1024"}`,
			`{"family": "app", "cpu": "1024", "memory": "2048"}`, `{"arn": true, "revision": true}`),
		change("aws_ecs_service.app", `["update"]`,
			`{"launch_type": "FARGATE", "desired_count": 1, "task_definition": "arn:td/app:41"}`,
			`{"launch_type": "FARGATE", "desired_count": 1}`, `{"task_definition": true}`),
	)
	e := mustEstimate(t, plan, nil)
	svc := resourceByAddress(t, e, "aws_ecs_service.app")
	// Before: 0.5 vCPU × 730 × $0.04048 = $14.7752 + 1 GB × 730 × $0.004445 = $3.24485 → $18.02005.
	// After: 1 vCPU × 730 × $0.04048 = $29.5504 + 2 GB × 730 × $0.004445 = $6.4897 → $36.0401.
	// Change: +$18.02005.
	if !cmp.Equal(svc.MonthlyBefore, 18.02005, approx) || !cmp.Equal(svc.MonthlyAfter, 36.0401, approx) {
		t.Errorf("service = %v → %v, want 18.02005 → 36.0401", svc.MonthlyBefore, svc.MonthlyAfter)
	}
	changes := svc.Changes()
	if len(changes) != 2 || changes[0].Name != "vCPU" || !cmp.Equal(changes[0].Before.Quantity, 365.0) || !cmp.Equal(changes[0].After.Quantity, 730.0) {
		t.Errorf("changes = %+v, want vCPU 365 → 730 vCPU-hours and memory", changes)
	}
	if len(e.Free) != 1 || e.Free[0] != "aws_ecs_task_definition.app" {
		t.Errorf("free = %v, want the task definition, priced through its service", e.Free)
	}
}

func TestCompareDiffsTheStateAfterTwoPlans(t *testing.T) {
	t.Parallel()
	base := planOf(t, "",
		create("aws_nat_gateway.this[0]", `{}`), create("aws_nat_gateway.this[1]", `{}`),
		create("aws_secretsmanager_secret.db", `{}`), remove("aws_kms_key.old", `{}`))
	head := planOf(t, "",
		create("aws_nat_gateway.this[0]", `{}`),
		create("aws_secretsmanager_secret.db", `{}`), create("aws_cloudwatch_dashboard.main", `{}`))
	e, err := Compare(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Base after: 2 × $32.85 + $0.40 = $66.10 (the KMS key is gone in base).
	// Head after: $32.85 + $0.40 + $3.00 = $36.25. Change −$29.85.
	if !cmp.Equal(e.MonthlyBefore, 66.1, approx) || !cmp.Equal(e.MonthlyAfter, 36.25, approx) {
		t.Errorf("totals = %v → %v, want 66.10 → 36.25", e.MonthlyBefore, e.MonthlyAfter)
	}
	actions := map[string]string{}
	for _, r := range e.Resources {
		actions[r.Address] = r.Action
	}
	want := map[string]string{
		"aws_nat_gateway.this[0]": "no-op", "aws_secretsmanager_secret.db": "no-op",
		"aws_cloudwatch_dashboard.main": "create", "aws_nat_gateway.this[1]": "delete",
	}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestExceedsComparesTheIncreaseWithTheLimit(t *testing.T) {
	t.Parallel()
	// One NAT gateway created: +$32.85.
	e := mustEstimate(t, planOf(t, "", create("aws_nat_gateway.this", `{}`)), nil)
	cases := []struct {
		limit float64
		want  bool
	}{{30, true}, {32.85, false}, {200, false}}
	for _, tc := range cases {
		if got := e.Exceeds(tc.limit); got != tc.want {
			t.Errorf("Exceeds(%v) = %v, want %v", tc.limit, got, tc.want)
		}
	}
	cheaper := mustEstimate(t, natRemovalPlan(t), nil)
	if cheaper.Exceeds(0) {
		t.Error("a plan that saves money exceeds a limit of 0")
	}
}
