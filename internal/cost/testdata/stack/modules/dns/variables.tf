variable "domain_name" {
  description = "The public hosted zone."
  type        = string
}

variable "alb_dns_name" {
  description = "Load balancer api.DOMAIN points to."
  type        = string
}

variable "alb_zone_id" {
  type = string
}

variable "frontend_domain" {
  description = "Amplify branch domain app.DOMAIN points to."
  type        = string
}
