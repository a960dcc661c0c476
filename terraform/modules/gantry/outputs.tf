output "service_name" {
  description = "Name of gantry's ECS service."
  value       = aws_ecs_service.this.name
}

output "url" {
  description = "Where GitHub sends webhooks: URL/webhooks/github."
  value       = "https://${var.host_name}"
}

output "issuer_url" {
  description = "With workload identity, the issuer of gantry's tokens (GANTRY_PUBLIC_URL): github_oidc's gantry_issuer_url. Null without."
  value       = local.workload_identity ? local.public_url : null
}

output "execution_role_arn" {
  description = "Role that starts gantry's task and reads its secrets."
  value       = aws_iam_role.execution.arn
}

output "secret_arns" {
  description = "Secrets to fill with put-secret-value, keyed by the environment variable they become."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "log_group_name" {
  description = "gantry's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "role_arns" {
  description = "Every role of gantry's task (today the execution role): github_oidc's gantry_role_arns."
  value       = [aws_iam_role.execution.arn]
}

output "kms_key_arn" {
  description = "The key of gantry's secrets: github_oidc's gantry_kms_key_arn."
  value       = aws_kms_key.this.arn
}
