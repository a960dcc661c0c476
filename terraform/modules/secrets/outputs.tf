output "secret_arns" {
  description = "ARN of each secret, keyed like secret_names (supabase, workos, app)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "secret_names" {
  description = "Name of each secret, keyed like secret_names."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.name }
}

output "kms_key_arn" {
  description = "ARN of the KMS key the secrets are encrypted with; readers need kms:Decrypt on it."
  value       = aws_kms_key.this.arn
}
