variable "domain_name" {
  description = "Primary name on the certificate, e.g. \"api.classla.org\"."
  type        = string
}

variable "subject_alternative_names" {
  description = "Further names on the same certificate, e.g. [\"app.classla.org\"]."
  type        = list(string)
  default     = []
}

variable "zone_id" {
  description = "Route53 hosted zone the DNS validation records are written to."
  type        = string
}

variable "validation_timeout" {
  description = "How long to wait for ACM to see the validation records."
  type        = string
  default     = "45m"
}

variable "tags" {
  description = "Tags added to the certificate."
  type        = map(string)
  default     = {}
}
