locals {
  api_fqdn = "${var.api_subdomain}.${var.domain_name}"
  app_fqdn = "${var.app_subdomain}.${var.domain_name}"
}

resource "aws_route53_record" "api" {
  zone_id = var.zone_id
  name    = local.api_fqdn
  type    = "A"

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "app" {
  count = var.app_cname_target == null ? 0 : 1

  zone_id = var.zone_id
  name    = local.app_fqdn
  type    = "CNAME"
  ttl     = var.ttl
  records = [var.app_cname_target]
}
