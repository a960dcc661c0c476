output "state_bucket_name" {
  description = "bucket for the environments' backend configuration."
  value       = aws_s3_bucket.state.id
}

output "lock_table_name" {
  description = "dynamodb_table for the environments' backend configuration."
  value       = aws_dynamodb_table.locks.name
}

output "state_kms_key_arn" {
  description = "KMS key of the state bucket; give it to envs/* as state_kms_key_arn (and kms_key_id in backend config)."
  value       = aws_kms_key.state.arn
}
