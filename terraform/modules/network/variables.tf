variable "name" {
  description = "Name prefix for every resource, e.g. \"classla-production\"."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "azs" {
  description = "Availability zones to spread the subnets over (two for the first user's stack)."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2
    error_message = "azs must name at least two availability zones so the ALB and the service survive the loss of one."
  }
}

variable "public_subnet_cidrs" {
  description = "CIDR of each public subnet, one per entry of azs, in the same order."
  type        = list(string)
  default     = ["10.0.0.0/24", "10.0.1.0/24"]
}

variable "private_subnet_cidrs" {
  description = "CIDR of each private subnet, one per entry of azs, in the same order."
  type        = list(string)
  default     = ["10.0.10.0/24", "10.0.11.0/24"]
}

variable "single_nat_gateway" {
  description = "One NAT gateway shared by every AZ (cheaper, for staging) instead of one per AZ."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow log group keeps its events."
  type        = number
  default     = 90
}

variable "flow_log_kms_key_arn" {
  description = "KMS key to encrypt the flow log group with. Null keeps CloudWatch Logs' default server-side encryption; a key given here must allow the logs.REGION.amazonaws.com principal in its key policy."
  type        = string
  default     = null
}

variable "flow_log_traffic_type" {
  description = "Traffic the flow logs record: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the flow log role: github_oidc's boundary_arn, which the apply role requires on every role it creates."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
