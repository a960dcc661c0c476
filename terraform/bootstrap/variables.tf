variable "region" {
  description = "Region of the state bucket and lock table."
  type        = string
  default     = "us-east-1"
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket holding every environment's state (globally unique)."
  type        = string
  default     = "classla-terraform-state"
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table holding state locks (nothing else: the application's data is in Supabase)."
  type        = string
  default     = "classla-terraform-locks"
}

variable "noncurrent_version_days" {
  description = "Days to keep superseded state versions (the history to restore a state from)."
  type        = number
  default     = 365
}
