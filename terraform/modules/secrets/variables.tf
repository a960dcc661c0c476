variable "name" {
  description = "Name prefix of the KMS key alias, e.g. \"classla-production\"."
  type        = string
}

variable "secret_names" {
  description = "Secrets to create, keyed by a short name used in secret_arns. Values are set outside Terraform so they never land in state."
  type        = map(string)
  default = {
    supabase = "classla/supabase/credentials"
    workos   = "classla/workos/credentials"
    app      = "classla/app/secrets"
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (7 to 30; 0 deletes at once)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Days before a scheduled deletion of the KMS key takes effect."
  type        = number
  default     = 30
}

variable "rotation_lambda_arn" {
  description = "Lambda that rotates the secrets. Null leaves rotation off (Supabase and WorkOS keys are issued by those services and need a rotation function that calls them)."
  type        = string
  default     = null
}

variable "rotation_days" {
  description = "Days between rotations when rotation_lambda_arn is set."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
