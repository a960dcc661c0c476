package cost

func priceNATGateway(p *pricing) {
	p.hourly("NAT gateway", KeyNATGatewayHours, 1)
	p.usageBased("data processed", "GB", KeyNATGatewayGB, "monthly_data_processed_gb", 1)
}

// priceEIP prices an Elastic IP as the public IPv4 address it is, whether attached to an
// instance, a NAT gateway or nothing: AWS bills every one since 2024-02-01.
func priceEIP(p *pricing) {
	if pool := p.a.str("public_ipv4_pool"); pool != "" && pool != "amazon" {
		p.note("address from your own IP pool (%s): no public IPv4 charge", pool)
		return
	}
	p.hourly("public IPv4 address", KeyPublicIPv4Hours, 1)
}

func priceVPCEndpoint(p *pricing) {
	switch typ := p.a.str("vpc_endpoint_type"); typ {
	case "", "Gateway":
		return // Gateway endpoints (S3, DynamoDB) are free.
	case "Interface":
	default:
		p.fail("%s endpoints are not in the price catalog", typ)
		return
	}
	subnets, ok := p.a.count("subnet_ids")
	if !ok {
		subnets = 1
		p.note("the number of subnets is unknown until apply: priced for one subnet")
	}
	p.hourly("endpoint, per subnet", KeyInterfaceEndpointHours, float64(subnets))
	p.usageBased("data processed", "GB", KeyInterfaceEndpointGB, "monthly_data_processed_gb", 1)
}

// count returns the number of elements of a list attribute. When the list is unknown at
// plan time (IDs of resources being created), it counts what the configuration refers to:
// the instances of the referenced resources that exist after the plan.
func (a attrs) count(key string) (int, bool) {
	if wholly, _ := a.unknown[key].(bool); !wholly {
		// Known, or of known length with unknown elements.
		return len(a.list(key)), true
	}
	n := 0
	for _, rc := range a.ix.instances(a.rc.ModuleAddress, a.expr(key)) {
		if rc.Change != nil && rc.Change.After != nil {
			n++
		}
	}
	return n, n > 0
}

// LCU dimensions of Elastic Load Balancing: what one capacity unit covers for an hour.
// Usage keys mean what Infracost's usage reference says: new_connections per second,
// active_connections per minute, rule_evaluations per second (all averaged over the month),
// processed_bytes_gb in GB per month. The busiest dimension is billed.
var (
	albLCU = lcuDimensions{newPerSecond: 25, activePerMinute: 3000, gbPerHour: 1, rulesPerSecond: 1000}
	nlbLCU = lcuDimensions{newPerSecond: 800, activePerMinute: 100000, gbPerHour: 1}
)

type lcuDimensions struct {
	newPerSecond, activePerMinute, gbPerHour, rulesPerSecond float64
}

func priceLoadBalancer(p *pricing) {
	var hoursKey, lcuKey, name string
	var dims lcuDimensions
	switch typ := p.a.str("load_balancer_type"); typ {
	case "", "application":
		hoursKey, lcuKey, name, dims = KeyALBHours, KeyALBLCUHours, "application load balancer", albLCU
	case "network":
		hoursKey, lcuKey, name, dims = KeyNLBHours, KeyNLBNLCUHours, "network load balancer", nlbLCU
	default:
		p.fail("%s load balancers are not in the price catalog", typ)
		return
	}
	p.hourly(name, hoursKey, 1)
	lcu, known := averageLCU(p, dims)
	p.usageComponent("capacity units", "LCU-hours", lcuKey, lcu*p.hours, known)
	if !p.a.boolean("internal") {
		p.publicAddresses()
	}
}

// averageLCU is the average number of capacity units over the month, from the usage.
func averageLCU(p *pricing, d lcuDimensions) (float64, bool) {
	var lcu float64
	known := false
	dim := func(key string, per, hours float64) {
		if v, ok := p.usageValue(key); ok && per > 0 {
			known = true
			lcu = max(lcu, v/hours/per)
		}
	}
	dim("new_connections", d.newPerSecond, 1)
	dim("active_connections", d.activePerMinute, 1)
	dim("processed_bytes_gb", d.gbPerHour, p.hours)
	dim("rule_evaluations", d.rulesPerSecond, 1)
	return lcu, known
}

// publicAddresses prices the public IPv4 address an internet-facing load balancer holds
// in each of its subnets (one node per Availability Zone). Addresses of Elastic IPs mapped
// to a network load balancer are priced on their aws_eip instead.
func (p *pricing) publicAddresses() {
	n, ok := p.a.count("subnets")
	if mappings := p.a.blocks("subnet_mapping"); len(mappings) > 0 {
		n, ok = 0, true
		for _, m := range mappings {
			if id, _ := m["allocation_id"].(string); id == "" {
				n++
			}
		}
		if n == 0 {
			return
		}
	}
	if !ok {
		n = 2
		p.note("the number of subnets is unknown until apply: public IPv4 addresses priced for two Availability Zones")
	}
	p.hourly("public IPv4 addresses, one per subnet", KeyPublicIPv4Hours, float64(n))
	p.note("an internet-facing load balancer holds a public IPv4 address in each subnet; more when it scales out")
}
