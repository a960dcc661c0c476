variable "name" {
  description = "Name prefix for every resource. The ALB and target group names are cut to AWS's 32 characters."
  type        = string
}

variable "vpc_id" {
  description = "VPC the ALB and its target group live in."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; the ALB may only send traffic there."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two AZs) the ALB is placed in."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate served by the HTTPS listener (validated, in the ALB's region)."
  type        = string
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "deletion_protection" {
  description = "Refuse to delete the ALB until this is switched off (on in production)."
  type        = bool
  default     = true
}

variable "idle_timeout" {
  description = "Seconds a connection may stay idle."
  type        = number
  default     = 60
}

variable "target_port" {
  description = "Port the containers listen on."
  type        = number
  default     = 3000
}

variable "health_check_path" {
  description = "HTTP path the target group probes on each task."
  type        = string
  default     = "/health"
}

variable "health_check_matcher" {
  description = "HTTP codes counted as healthy."
  type        = string
  default     = "200"
}

variable "deregistration_delay" {
  description = "Seconds in-flight requests get to finish when a task leaves the target group."
  type        = number
  default     = 30
}

variable "enable_waf" {
  description = "Attach a WAFv2 web ACL with AWS managed rules (Common, KnownBadInputs) and a per-IP rate limit."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP before the WAF blocks it."
  type        = number
  default     = 2000
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
