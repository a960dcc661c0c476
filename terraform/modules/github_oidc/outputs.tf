output "oidc_provider_arn" {
  description = "ARN of the token.actions.githubusercontent.com provider."
  value       = local.provider_arn
}

output "plan_role_arn" {
  description = "Role for Terraform plans (read-only)."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "Role for Terraform applies; the project's aws.role_arn in .gantry.yaml."
  value       = aws_iam_role.apply.arn
}

output "deploy_role_arn" {
  description = "Role for building and deploying the service; the service's aws.role_arn in .gantry.yaml."
  value       = aws_iam_role.deploy.arn
}
