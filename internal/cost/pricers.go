package cost

import "strings"

// pricers price one side of a resource by type.
var pricers = map[string]func(*pricing){
	"aws_ecs_service":             priceECSService,
	"aws_instance":                priceInstance,
	"aws_nat_gateway":             priceNATGateway,
	"aws_eip":                     priceEIP,
	"aws_vpc_endpoint":            priceVPCEndpoint,
	"aws_lb":                      priceLoadBalancer,
	"aws_alb":                     priceLoadBalancer,
	"aws_secretsmanager_secret":   priceSecret,
	"aws_cloudwatch_log_group":    priceLogGroup,
	"aws_cloudwatch_metric_alarm": priceMetricAlarm,
	"aws_cloudwatch_dashboard":    priceDashboard,
	"aws_route53_zone":            priceRoute53Zone,
	"aws_route53_record":          priceRoute53Record,
	"aws_acm_certificate":         priceCertificate,
	"aws_wafv2_web_acl":           priceWebACL,
	"aws_ecr_repository":          priceECRRepository,
	"aws_kms_key":                 priceKMSKey,
	"aws_s3_bucket":               priceS3Bucket,
	"aws_amplify_app":             priceAmplifyApp,
}

// freeTypes cost nothing by themselves. What they lead to is billed elsewhere: a task
// definition through its service, a flow log through the log group it writes to, a rule
// group through the web ACLs that use it.
var freeTypes = toSet(
	// networking
	"aws_vpc", "aws_subnet", "aws_route_table", "aws_route", "aws_route_table_association",
	"aws_main_route_table_association", "aws_internet_gateway", "aws_egress_only_internet_gateway",
	"aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
	"aws_vpc_security_group_egress_rule", "aws_network_acl", "aws_network_acl_rule",
	"aws_network_acl_association", "aws_default_network_acl", "aws_default_route_table",
	"aws_default_security_group", "aws_default_vpc", "aws_default_subnet", "aws_vpc_dhcp_options",
	"aws_vpc_dhcp_options_association", "aws_vpc_endpoint_route_table_association",
	"aws_vpc_endpoint_policy", "aws_vpc_ipv4_cidr_block_association", "aws_eip_association",
	"aws_flow_log", "aws_network_interface_sg_attachment",
	// load balancing and scaling
	"aws_lb_target_group", "aws_lb_target_group_attachment", "aws_lb_listener", "aws_lb_listener_rule",
	"aws_lb_listener_certificate", "aws_alb_target_group", "aws_alb_target_group_attachment",
	"aws_alb_listener", "aws_alb_listener_rule", "aws_alb_listener_certificate",
	"aws_appautoscaling_policy", "aws_appautoscaling_target", "aws_appautoscaling_scheduled_action",
	"aws_autoscaling_policy", "aws_autoscaling_schedule", "aws_launch_template", "aws_key_pair",
	"aws_placement_group",
	// containers
	"aws_ecs_cluster", "aws_ecs_cluster_capacity_providers", "aws_ecs_task_definition",
	"aws_ecs_capacity_provider", "aws_ecs_account_setting_default", "aws_ecr_lifecycle_policy",
	"aws_ecr_repository_policy", "aws_ecr_registry_scanning_configuration",
	"aws_ecr_replication_configuration", "aws_ecr_registry_policy",
	// logs and monitoring
	"aws_cloudwatch_log_stream", "aws_cloudwatch_log_resource_policy",
	"aws_cloudwatch_log_metric_filter", "aws_cloudwatch_log_subscription_filter",
	"aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
	// DNS and certificates
	"aws_route53_zone_association", "aws_acm_certificate_validation",
	// secrets and keys
	"aws_secretsmanager_secret_version", "aws_secretsmanager_secret_policy", "aws_kms_alias",
	"aws_kms_grant", "aws_ssm_parameter",
	// web application firewall
	"aws_wafv2_web_acl_association", "aws_wafv2_ip_set", "aws_wafv2_regex_pattern_set",
	"aws_wafv2_rule_group", "aws_wafv2_web_acl_logging_configuration",
	// storage configuration
	"aws_s3_bucket_policy", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block",
	"aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_ownership_controls",
	"aws_s3_bucket_acl", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_cors_configuration",
	"aws_s3_bucket_website_configuration", "aws_s3_bucket_logging", "aws_s3_bucket_notification",
	"aws_s3_account_public_access_block", "aws_s3_object",
	// frontend hosting
	"aws_amplify_branch", "aws_amplify_domain_association", "aws_amplify_webhook",
	"aws_amplify_backend_environment",
	// Terraform's own and local-only providers
	"terraform_data", "null_resource",
)

// freePrefixes are type families that are free as a whole: IAM, and providers that create
// nothing in a cloud account.
var freePrefixes = []string{"aws_iam_", "random_", "null_", "tls_", "time_", "local_", "archive_"}

func isFree(typ string) bool {
	if freeTypes[typ] {
		return true
	}
	for _, p := range freePrefixes {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

func toSet(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
