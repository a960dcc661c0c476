# Classla production: a Vite frontend on Amplify, an Express backend on ECS Fargate
# behind an ALB, in a VPC with public and private subnets in two availability zones.

locals {
  name = "classla-${var.environment}"
}

module "network" {
  source = "../modules/network"

  name               = local.name
  cidr_block         = "10.0.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"]

  # One NAT gateway for both private subnets: cheaper, at the cost of losing outbound
  # traffic from us-east-1b if us-east-1a fails.
  single_nat_gateway = true

  interface_endpoints     = ["ecr.api", "ecr.dkr"]
  flow_log_retention_days = 14
}

module "dns" {
  source = "../modules/dns"

  domain_name     = var.domain_name
  alb_dns_name    = module.alb.dns_name
  alb_zone_id     = module.alb.zone_id
  frontend_domain = module.amplify.branch_domain
}

# One certificate per name, each validated through a record in the zone.
module "acm" {
  source   = "../modules/acm"
  for_each = toset(["api.${var.domain_name}", "app.${var.domain_name}"])

  domain_name = each.key
  zone_id     = module.dns.zone_id
}

module "alb" {
  source = "../modules/alb"

  name              = local.name
  vpc_id            = module.network.vpc_id
  public_subnet_ids = module.network.public_subnet_ids
  certificate_arn   = module.acm["api.${var.domain_name}"].certificate_arn
  health_check_path = "/health"
}

module "secrets" {
  source = "../modules/secrets"

  names = [
    "classla/supabase/credentials",
    "classla/workos/credentials",
    "classla/app/secrets",
  ]
}

module "ecr" {
  source = "../modules/ecr"

  name = "classla-backend"
}

module "ecs" {
  source = "../modules/ecs"

  name                  = local.name
  region                = var.region
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.alb.security_group_id
  target_group_arn      = module.alb.target_group_arn
  image                 = var.backend_image
  secret_arns           = module.secrets.arns

  # 0.5 vCPU and 1 GB per task, one to two tasks.
  cpu       = 512
  memory    = 1024
  min_tasks = 1
  max_tasks = 2

  log_retention_days = 30
}

module "amplify" {
  source = "../modules/amplify"

  name         = "classla-frontend"
  repository   = var.frontend_repository
  access_token = var.github_access_token
  api_url      = "https://api.${var.domain_name}"
}
