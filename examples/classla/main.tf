# Classla production: the Express backend on ECS Fargate behind an ALB, in a VPC with
# private subnets in two availability zones. The frontend (Amplify), DNS and Supabase
# are managed elsewhere.

module "network" {
  source = "./modules/network"

  name               = "classla-${var.environment}"
  cidr_block         = "10.0.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"]

  # One NAT gateway for both private subnets: cheaper, at the cost of losing outbound
  # traffic from us-east-1b if us-east-1a fails.
  single_nat_gateway = true

  interface_endpoints = ["ecr.api", "ecr.dkr"]
}

module "edge" {
  source = "./modules/edge"

  name              = "classla-${var.environment}"
  vpc_id            = module.network.vpc_id
  public_subnet_ids = module.network.public_subnet_ids
  certificate_arn   = var.certificate_arn
  health_check_path = "/health"
}

module "backend" {
  source = "./modules/backend"

  name                  = "classla-${var.environment}"
  region                = var.region
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.edge.alb_security_group_id
  target_group_arn      = module.edge.target_group_arn
  image                 = var.backend_image

  cpu    = 512
  memory = 2048

  log_retention_days = 30

  secrets = [
    "classla/supabase/credentials",
    "classla/workos/credentials",
    "classla/app/secrets",
  ]
}
