variable "name" {
  description = "Prefix of every resource name."
  type        = string
}

variable "cidr_block" {
  description = "CIDR block of the VPC; subnets are carved out of it."
  type        = string
}

variable "availability_zones" {
  description = "One public and one private subnet is created in each."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "Route every private subnet through one NAT gateway instead of one per zone."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "AWS services reached through Interface VPC endpoints (the S3 Gateway endpoint is always created)."
  type        = set(string)
  default     = []
}

variable "enable_flow_logs" {
  description = "Record the VPC's traffic in CloudWatch Logs."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "How long VPC flow log records are kept."
  type        = number
  default     = 14
}
