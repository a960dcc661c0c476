variable "zone_id" {
  description = "Route53 hosted zone of the domain (classla.org)."
  type        = string
}

variable "domain_name" {
  description = "Domain the records are created under, e.g. \"classla.org\"; api. and app. are prefixed to it."
  type        = string
}

variable "api_subdomain" {
  description = "Label of the API record."
  type        = string
  default     = "api"
}

variable "app_subdomain" {
  description = "Label of the frontend record."
  type        = string
  default     = "app"
}

variable "alb_dns_name" {
  description = "DNS name of the ALB the api. record aliases."
  type        = string
}

variable "alb_zone_id" {
  description = "Route53 zone ID of the ALB."
  type        = string
}

variable "app_cname_target" {
  description = "Target of the app. CNAME: the Amplify branch domain (main.APPID.amplifyapp.com) or the CloudFront name the Amplify domain association reports. Null creates no app. record, for when the Amplify domain association writes it itself."
  type        = string
  default     = null
}

variable "ttl" {
  description = "TTL in seconds of the app. CNAME."
  type        = number
  default     = 300
}
