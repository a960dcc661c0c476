package cost

import (
	"strconv"
	"strings"
)

// priceECSService prices a Fargate service: the task definition's vCPU and memory, times
// desired_count, all month. Tasks added by autoscaling above desired_count are not counted.
// Services on EC2 capacity are free here: their cost is the instances'.
func priceECSService(p *pricing) {
	a := p.a
	td, found := a.taskDefinition()
	if !a.onFargate(td) {
		return
	}
	if a.spot() {
		p.fail("Fargate Spot prices are not in the price catalog")
		return
	}
	if !found {
		p.fail("its task definition is not in this plan, so its CPU and memory are unknown")
		return
	}
	if rp := blockList(td["runtime_platform"]); len(rp) > 0 {
		arch, _ := rp[0]["cpu_architecture"].(string)
		osFamily, _ := rp[0]["operating_system_family"].(string)
		if (arch != "" && arch != "X86_64") || (osFamily != "" && osFamily != "LINUX") {
			p.fail("Fargate on %s is not in the price catalog (it prices Linux on x86_64)", strings.Trim(osFamily+" "+arch, " "))
			return
		}
	}
	cpuText, _ := td["cpu"].(string)
	memText, _ := td["memory"].(string)
	vcpu, okCPU := parseVCPU(cpuText)
	gb, okMem := parseMemoryGB(memText)
	if !okCPU || !okMem {
		p.fail("its task definition's cpu %q and memory %q are not a Fargate task size", cpuText, memText)
		return
	}
	tasks := a.desiredCount(p)
	p.fixed("vCPU", "vCPU-hours", KeyFargateVCPUHours, vcpu*tasks*p.hours)
	p.fixed("memory", "GB-hours", KeyFargateGBHours, gb*tasks*p.hours)
	p.note("desired_count %s × (%s vCPU, %s GB); tasks added by autoscaling are not counted",
		formatNumber(tasks), formatNumber(vcpu), formatNumber(gb))
}

// onFargate reports whether the service runs on Fargate: by launch type, by capacity
// provider, or, with neither, when its task definition can only run on Fargate.
func (a attrs) onFargate(td map[string]any) bool {
	switch a.str("launch_type") {
	case "FARGATE":
		return true
	case "EC2", "EXTERNAL":
		return false
	}
	for _, s := range a.blocks("capacity_provider_strategy") {
		if cp, _ := s["capacity_provider"].(string); strings.HasPrefix(cp, "FARGATE") {
			return true
		}
	}
	compat, _ := td["requires_compatibilities"].([]any)
	return len(compat) == 1 && compat[0] == "FARGATE"
}

func (a attrs) spot() bool {
	strategies := a.blocks("capacity_provider_strategy")
	if len(strategies) == 0 || a.str("launch_type") == "FARGATE" {
		return false
	}
	for _, s := range strategies {
		if cp, _ := s["capacity_provider"].(string); cp != "FARGATE_SPOT" {
			return false
		}
	}
	return true
}

// taskDefinition finds the values of the service's task definition on the same side of
// the plan: by ARN when it is known, else through the configuration's references (the
// task definition is being created or replaced, so its ARN is known only after apply).
func (a attrs) taskDefinition() (map[string]any, bool) {
	if ref := a.str("task_definition"); ref != "" && !a.isUnknown("task_definition") {
		if td, ok := a.ix.taskDefsByARN[ref]; ok {
			if td.before {
				return asMap(td.rc.Change.Before), true
			}
			return asMap(td.rc.Change.After), true
		}
		if vals, ok := a.taskDefinitionByFamily(ref); ok {
			return vals, true
		}
	}
	for _, rc := range a.ix.instances(a.rc.ModuleAddress, a.expr("task_definition")) {
		if rc.Type != "aws_ecs_task_definition" || rc.Change == nil {
			continue
		}
		if a.before && rc.Change.Before != nil {
			return asMap(rc.Change.Before), true
		}
		if vals := asMap(rc.Change.After); vals != nil {
			return vals, true
		}
		return asMap(rc.Change.Before), rc.Change.Before != nil
	}
	return nil, false
}

// taskDefinitionByFamily matches "family" or "family:revision".
func (a attrs) taskDefinitionByFamily(ref string) (map[string]any, bool) {
	family, revision, _ := strings.Cut(ref, ":")
	for _, td := range a.ix.taskDefsByARN {
		for _, vals := range []map[string]any{asMap(td.rc.Change.Before), asMap(td.rc.Change.After)} {
			if f, _ := vals["family"].(string); f != family || f == "" {
				continue
			}
			if rev, ok := vals["revision"].(float64); revision == "" || (ok && strconv.Itoa(int(rev)) == revision) {
				return vals, true
			}
		}
	}
	return nil, false
}

func (a attrs) desiredCount(p *pricing) float64 {
	if n, ok := a.num("desired_count"); ok && !a.isUnknown("desired_count") {
		return n
	}
	if v, ok := a.ix.value(a.rc.ModuleAddress, a.expr("desired_count"), 0); ok {
		if n, ok := v.(float64); ok {
			return n
		}
	}
	if !a.isUnknown("desired_count") {
		return 0 // null: the provider's default
	}
	p.note("desired_count is unknown until apply: priced for one task")
	return 1
}

// parseVCPU reads a task's cpu: CPU units ("512") or vCPU ("0.5 vCPU").
func parseVCPU(s string) (float64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if v, ok := strings.CutSuffix(s, "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil && f > 0
	}
	f, err := strconv.ParseFloat(s, 64)
	return f / 1024, err == nil && f > 0
}

// parseMemoryGB reads a task's memory: MiB ("1024") or GB ("1 GB").
func parseMemoryGB(s string) (float64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, unit := range []string{"gb", "gib"} {
		if v, ok := strings.CutSuffix(s, unit); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil && f > 0
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "mib"), "mb"), 64)
	return f / 1024, err == nil && f > 0
}

func priceInstance(p *pricing) {
	typ := p.a.str("instance_type")
	if t := p.a.str("tenancy"); t != "" && t != "default" {
		p.fail("instances of %s tenancy are not in the price catalog", t)
		return
	}
	if _, ok := p.cat.Price(p.region, KeyInstanceHours(typ)); !ok || typ == "" {
		p.fail("instance type %q is not in the price catalog", typ)
		return
	}
	p.hourly("instance ("+typ+", Linux)", KeyInstanceHours(typ), 1)
	p.note("its EBS volumes are not priced")
}
