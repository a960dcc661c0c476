# Production: the first user's stack with a NAT gateway per availability zone, autoscaling 1–2 tasks,
# and gantry itself on gantry.DOMAIN behind the same load balancer.

locals {
  environment = "production"
  name        = "classla-${local.environment}"
  state_key   = "${local.environment}/terraform.tfstate"
  api_sub     = "api"
  app_sub     = "app"
  gantry_host = "gantry.${var.domain_name}"

  # gantry's issuer (GANTRY_PUBLIC_URL). The roles trust the tokens gantry signs only when a
  # gantry runs this environment's jobs in its own task (the local executor, SPEC §10): with the
  # Actions executor the runners bring GitHub's tokens, and an issuer nobody uses is one more way in.
  gantry_url        = "https://${local.gantry_host}"
  gantry_issuer_url = var.gantry_issuer_url != null ? var.gantry_issuer_url : (var.gantry_executor == "local" ? local.gantry_url : null)

  frontend_branch = "main"
}

module "network" {
  source = "../../modules/network"

  name               = local.name
  azs                = var.azs
  single_nat_gateway = false

  permissions_boundary_arn = module.github_oidc.boundary_arn
}

module "certificate" {
  source = "../../modules/certificate"

  domain_name               = "${local.api_sub}.${var.domain_name}"
  subject_alternative_names = [local.gantry_host]
  zone_id                   = var.zone_id
}

module "alb" {
  source = "../../modules/alb"

  name              = local.name
  vpc_id            = module.network.vpc_id
  vpc_cidr          = module.network.vpc_cidr
  public_subnet_ids = module.network.public_subnet_ids
  certificate_arn   = module.certificate.certificate_arn
  enable_waf        = true
}

module "secrets" {
  source = "../../modules/secrets"

  name = local.name
}

module "ecr" {
  source = "../../modules/ecr"

  name        = "classla-backend"
  kms_key_arn = module.secrets.kms_key_arn
}

module "ecs_service" {
  source = "../../modules/ecs_service"

  name                  = "classla-backend"
  cluster_name          = local.name
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.alb.security_group_id
  target_group_arn      = module.alb.target_group_arn
  container_image       = var.backend_image
  min_count             = 1
  max_count             = 2
  secrets = {
    SUPABASE_CREDENTIALS = module.secrets.secret_arns["supabase"]
    WORKOS_CREDENTIALS   = module.secrets.secret_arns["workos"]
    APP_SECRETS          = module.secrets.secret_arns["app"]
  }
  secrets_kms_key_arns     = [module.secrets.kms_key_arn]
  permissions_boundary_arn = module.github_oidc.boundary_arn
}

module "amplify" {
  source = "../../modules/amplify"

  name             = "${local.name}-frontend"
  repository       = var.frontend_repository_url
  access_token     = var.amplify_access_token
  branch_name      = local.frontend_branch
  domain_name      = var.domain_name
  subdomain_prefix = local.app_sub
  environment_variables = {
    VITE_API_URL = "https://${local.api_sub}.${var.domain_name}"
  }
}

module "dns" {
  source = "../../modules/dns"

  zone_id       = var.zone_id
  domain_name   = var.domain_name
  api_subdomain = local.api_sub
  app_subdomain = local.app_sub
  alb_dns_name  = module.alb.alb_dns_name
  alb_zone_id   = module.alb.alb_zone_id
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                    = local.name
  alarm_email             = var.alarm_email
  alb_arn_suffix          = module.alb.alb_arn_suffix
  target_group_arn_suffix = module.alb.target_group_arn_suffix
  ecs_cluster_name        = module.ecs_service.cluster_name
  ecs_service_name        = module.ecs_service.service_name
}

# Each role trusts its own GitHub environment only: gantry-plan (plans of pull requests), this
# project's name (merge-time plans and applies), the service's name (deploys; frontend for the
# frontend's Amplify releases). envs/github
# creates those environments so that only the default branch's workflow runs in them.
module "github_oidc" {
  source = "../../modules/github_oidc"

  environment          = local.environment
  github_repository    = var.github_repository
  create_oidc_provider = var.create_oidc_provider
  oidc_provider_arn    = var.oidc_provider_arn
  state_bucket_name    = var.state_bucket_name
  state_key            = local.state_key
  state_kms_key_arn    = var.state_kms_key_arn
  lock_table_name      = var.lock_table_name
  hosted_zone_id       = var.zone_id
  service_name         = "backend"
  ecr_repository_arn   = module.ecr.repository_arn
  ecs_cluster_name     = module.ecs_service.cluster_name
  ecs_service_name     = module.ecs_service.service_name
  task_role_arns       = [module.ecs_service.task_role_arn, module.ecs_service.execution_role_arn]
  flow_log_role_arn    = module.network.flow_log_role_arn
  stack_secret_arns    = values(module.secrets.secret_arns)
  stack_kms_key_arns   = [module.secrets.kms_key_arn, module.monitoring.kms_key_arn]
  gantry_role_arns     = module.gantry.role_arns
  gantry_secret_arns   = values(module.gantry.secret_arns)
  gantry_kms_key_arn   = module.gantry.kms_key_arn

  # gantry's own tokens, when it signs them: the plan role trusts this project's phase:plan
  # subject, the apply role its phase:apply subject, the deploy role the service's phase:deploy.
  gantry_issuer_url           = local.gantry_issuer_url
  create_gantry_oidc_provider = var.create_gantry_oidc_provider
  gantry_oidc_provider_arn    = var.gantry_oidc_provider_arn
  gantry_thumbprint_list      = var.gantry_thumbprint_list
  gantry_projects             = [local.environment]
  gantry_services             = ["backend"]

  # The frontend service (.gantry.yaml: amplify {app_id, branch}) releases the Amplify app's branch
  # with its own role, gantry-deploy-frontend, trusting the frontend environment and gantry's
  # service:frontend:phase:deploy subject. The app is created above, so its ID is only known
  # after the first apply: create_frontend_role says up front that the role exists.
  create_frontend_role = true
  amplify_app_id       = module.amplify.app_id
  amplify_branch       = local.frontend_branch
}

module "gantry" {
  source = "../../modules/gantry"

  name                  = "gantry-${local.environment}"
  cluster_arn           = module.ecs_service.cluster_arn
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  alb_security_group_id = module.alb.security_group_id
  listener_arn          = module.alb.listener_arn
  host_name             = local.gantry_host
  zone_id               = var.zone_id
  alb_dns_name          = module.alb.alb_dns_name
  alb_zone_id           = module.alb.alb_zone_id
  image                 = var.gantry_image
  github_app_id         = var.github_app_id

  # Jobs run in the repository's GitHub Actions (SPEC §7) unless gantry_executor says local: the
  # task itself holds no AWS identity, and with local the module turns workload identity on.
  executor   = var.gantry_executor
  public_url = local.gantry_url
  allowed_roles = {
    (var.github_repository) = concat(
      [module.github_oidc.plan_role_arn, module.github_oidc.apply_role_arn, module.github_oidc.deploy_role_arn, module.github_oidc.frontend_role_arn],
      var.gantry_extra_allowed_roles,
    )
  }
}
