output "api_url" {
  description = "The backend's public URL."
  value       = "https://${module.dns.api_fqdn}"
}

output "app_url" {
  description = "The frontend's public URL."
  value       = "https://${module.dns.app_fqdn}"
}

output "gantry_url" {
  description = "gantry's URL; the GitHub App's webhook URL is this plus /webhooks/github."
  value       = module.gantry.url
}

output "ecr_repository_url" {
  description = "Repository the backend images are pushed to."
  value       = module.ecr.repository_url
}

output "plan_role_arn" {
  description = "gantry's read-only role for plans."
  value       = module.github_oidc.plan_role_arn
}

output "apply_role_arn" {
  description = "aws.role_arn of this project in .gantry.yaml."
  value       = module.github_oidc.apply_role_arn
}

output "deploy_role_arn" {
  description = "aws.role_arn of the backend service in .gantry.yaml."
  value       = module.github_oidc.deploy_role_arn
}

output "frontend_role_arn" {
  description = "aws.role_arn of the frontend service (amplify) in .gantry.yaml."
  value       = module.github_oidc.frontend_role_arn
}

output "amplify_app_id" {
  description = "amplify.app_id of the frontend service in .gantry.yaml."
  value       = module.amplify.app_id
}

output "boundary_arn" {
  description = "Permissions boundary of gantry's roles and of every role the apply role creates."
  value       = module.github_oidc.boundary_arn
}

output "github_environments" {
  description = "The GitHub environment each of gantry's roles trusts; envs/github must protect each of them."
  value       = module.github_oidc.environments
}

output "gantry_oidc_provider_arn" {
  description = "IAM OIDC provider of gantry's issuer (null unless the roles trust it): another environment trusting the same gantry passes it as gantry_oidc_provider_arn."
  value       = module.github_oidc.gantry_oidc_provider_arn
}

output "gantry_secret_arns" {
  description = "Secrets to fill with put-secret-value before gantry's task can start."
  value       = module.gantry.secret_arns
}

output "alarm_topic_arn" {
  description = "SNS topic of the stack's alarms."
  value       = module.monitoring.sns_topic_arn
}
