variable "domain_name" {
  description = "Name the certificate is for."
  type        = string
}

variable "zone_id" {
  description = "Hosted zone the validation record is written to."
  type        = string
}
