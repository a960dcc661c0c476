package cost

import "strings"

func priceSecret(p *pricing) {
	// Each replica in another region is billed as a secret of its own.
	p.fixed("secret", "months", KeySecretMonths, float64(1+len(p.a.blocks("replica"))))
	p.usageBased("API requests", "10K requests", KeySecretRequests10K, "monthly_requests", 1.0/10000)
}

func priceLogGroup(p *pricing) {
	if p.a.str("log_group_class") == "INFREQUENT_ACCESS" {
		p.note("Infrequent Access log class: ingestion priced at the Standard class price, which is higher")
	}
	p.usageBased("ingestion", "GB", KeyLogsIngestionGB, "monthly_data_ingested_gb", 1)
	p.usageBased("storage", "GB-months", KeyLogsStorageGBMonths, "storage_gb", 1)
	p.usageBased("Insights queries, data scanned", "GB", KeyLogsScannedGB, "monthly_data_scanned_gb", 1)
}

// priceMetricAlarm prices an alarm per metric it watches: one, or each metric of its
// metric queries; an anomaly detection alarm counts three metrics for each (the metric and
// the band's upper and lower bounds). A period under 60 seconds makes it high resolution.
func priceMetricAlarm(p *pricing) {
	metrics, anomaly := 0, false
	highRes := isHighResolution(p.a.vals["period"])
	for _, q := range p.a.blocks("metric_query") {
		if expr, _ := q["expression"].(string); strings.Contains(strings.ToUpper(expr), "ANOMALY_DETECTION_BAND") {
			anomaly = true
		}
		for _, m := range blockList(q["metric"]) {
			metrics++
			highRes = highRes || isHighResolution(m["period"])
		}
	}
	metrics = max(metrics, 1)
	name, key := "standard resolution alarm metrics", KeyAlarmStandard
	if highRes {
		name, key = "high resolution alarm metrics", KeyAlarmHighResolution
	}
	if anomaly {
		name, metrics = "anomaly detection "+name, metrics*3
	}
	p.fixed(name, "alarm metrics", key, float64(metrics))
}

func isHighResolution(period any) bool {
	s, ok := period.(float64)
	return ok && s > 0 && s < 60
}

func priceDashboard(p *pricing) { p.fixed("dashboard", "months", KeyDashboardMonths, 1) }

func priceRoute53Zone(p *pricing) { p.fixed("hosted zone", "months", KeyRoute53ZoneMonths, 1) }

// priceRoute53Record prices a record's standard queries. Queries of alias records that
// point at AWS resources are free, and a record itself costs nothing.
func priceRoute53Record(p *pricing) {
	if len(p.a.blocks("alias")) > 0 {
		return
	}
	for _, policy := range []string{"latency_routing_policy", "geolocation_routing_policy", "geoproximity_routing_policy"} {
		if len(p.a.blocks(policy)) > 0 {
			p.note("%s queries cost more than standard queries: priced at the standard price", strings.TrimSuffix(policy, "_routing_policy"))
		}
	}
	p.usageBased("standard queries", "1M queries", KeyRoute53QueriesMillion, "monthly_standard_queries", 1.0/1e6)
}

// priceCertificate prices a private certificate; public ACM certificates are free.
func priceCertificate(p *pricing) {
	if p.a.str("certificate_authority_arn") == "" {
		return
	}
	p.fixed("private certificate", "certificates", KeyACMPrivateCertificate, 1)
	p.note("a private certificate is charged once, in the month it is issued")
}

// priceWebACL counts the web ACL's rules by kind: a rule that references a rule group or
// a managed rule group is billed as that group; any other rule as a rule. The usage keys
// rule_group_rules and managed_rule_group_rules add rules billed inside those groups.
func priceWebACL(p *pricing) {
	var rules, groups, managed int
	for _, r := range p.a.blocks("rule") {
		st := blockList(r["statement"])
		switch {
		case len(st) > 0 && len(blockList(st[0]["managed_rule_group_statement"])) > 0:
			managed++
			noteSubscription(p, blockList(st[0]["managed_rule_group_statement"])[0])
		case len(st) > 0 && len(blockList(st[0]["rule_group_reference_statement"])) > 0:
			groups++
		default:
			rules++
		}
	}
	extra := 0.0
	for _, k := range []string{"rule_group_rules", "managed_rule_group_rules"} {
		if v, ok := p.usageValue(k); ok {
			extra += v
		}
	}
	p.fixed("web ACL", "months", KeyWAFWebACLMonths, 1)
	if total := float64(rules) + extra; total > 0 {
		p.fixed("rules", "rules", KeyWAFRuleMonths, total)
	}
	if groups > 0 {
		p.fixed("rule groups", "rule groups", KeyWAFRuleGroupMonths, float64(groups))
	}
	if managed > 0 {
		p.fixed("managed rule groups", "rule groups", KeyWAFManagedRuleGroupMonth, float64(managed))
	}
	p.usageBased("requests", "1M requests", KeyWAFRequestsMillion, "monthly_requests", 1.0/1e6)
}

// noteSubscription warns about the AWS managed rule groups that carry fees of their own.
func noteSubscription(p *pricing, st map[string]any) {
	name, _ := st["name"].(string)
	vendor, _ := st["vendor_name"].(string)
	for _, paid := range []string{"BotControl", "ATP", "ACFP", "AntiDDoS"} {
		if strings.Contains(name, paid) || (vendor != "" && vendor != "AWS") {
			p.note("managed rule group %s/%s has subscription or request fees that are not priced", vendor, name)
			return
		}
	}
}

func priceECRRepository(p *pricing) {
	p.usageBased("storage", "GB-months", KeyECRStorageGBMonths, "storage_gb", 1)
}

func priceKMSKey(p *pricing) { p.fixed("customer managed key", "months", KeyKMSKeyMonths, 1) }

func priceS3Bucket(p *pricing) {
	p.usageBased("Standard storage", "GB-months", KeyS3StandardGBMonths, "standard.storage_gb", 1)
}

func priceAmplifyApp(p *pricing) {
	p.usageBased("build minutes", "minutes", KeyAmplifyBuildMinutes, "monthly_build_minutes", 1)
	p.usageBased("hosting storage", "GB-months", KeyAmplifyStorageGBMonths, "storage_gb", 1)
	p.usageBased("data served", "GB", KeyAmplifyDataServedGB, "monthly_data_served_gb", 1)
}
