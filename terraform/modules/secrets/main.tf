# The default key policy lets this account's IAM policies grant use of the key, which is how the ECS
# execution role gets kms:Decrypt on it.
resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name} application secrets"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_secretsmanager_secret" "this" {
  for_each = var.secret_names

  name                    = each.value
  description             = "${each.key} secret of ${var.name}; value set outside Terraform"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_rotation" "this" {
  for_each = var.rotation_lambda_arn == null ? {} : aws_secretsmanager_secret.this

  secret_id           = each.value.id
  rotation_lambda_arn = var.rotation_lambda_arn

  rotation_rules {
    automatically_after_days = var.rotation_days
  }
}
