output "oidc_provider_arn" {
  description = "ARN of the token.actions.githubusercontent.com provider."
  value       = local.provider_arn
}

output "gantry_oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider of gantry_issuer_url (null without it): another environment trusting the same gantry passes it as its gantry_oidc_provider_arn."
  value       = local.gantry_provider_arn
}

output "gantry_subjects" {
  description = "The subjects of gantry's tokens each role trusts (plan, apply, deploy, and frontend with the frontend role); empty without gantry_issuer_url."
  value       = { for phase, subjects in local.gantry_subjects : phase => local.gantry_trusted ? subjects : [] }
}

output "plan_role_arn" {
  description = "Role for plans of pull-request code (read-only); the project's aws.plan_role_arn in .gantry.yaml."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "Role for merge-time plans and applies; the project's aws.role_arn in .gantry.yaml."
  value       = aws_iam_role.apply.arn
}

output "deploy_role_arn" {
  description = "Role for building and deploying the service; the service's aws.role_arn in .gantry.yaml."
  value       = aws_iam_role.deploy.arn
}

output "frontend_role_arn" {
  description = "Role for releasing the Amplify branch (null without amplify_app_id); the frontend service's aws.role_arn in .gantry.yaml."
  value       = one(aws_iam_role.frontend[*].arn)
}

output "boundary_arn" {
  description = "Permissions boundary every role the apply role creates must carry (pass it to the modules that create roles)."
  value       = aws_iam_policy.boundary.arn
}

output "environments" {
  description = "The GitHub environment each role trusts (plan, apply, deploy, and frontend with the frontend role): create them with modules/github_environments."
  value       = local.environments
}
