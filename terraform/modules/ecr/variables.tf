variable "name" {
  description = "Repository name, e.g. \"classla-backend\"."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed KMS key to encrypt images with. Null uses the AWS managed ECR key (still KMS)."
  type        = string
  default     = null
}

variable "keep_last_images" {
  description = "Tagged images kept by the lifecycle policy; older ones expire."
  type        = number
  default     = 30
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (left by multi-arch or failed pushes) expire."
  type        = number
  default     = 7
}

variable "force_delete" {
  description = "Let terraform destroy the repository while it still holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to the repository."
  type        = map(string)
  default     = {}
}
