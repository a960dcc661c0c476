variable "name" {
  description = "Name of gantry's service, task family, target group and roles (e.g. gantry-production)."
  type        = string
  default     = "gantry"
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster to run gantry in (the stack's own cluster)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster and the load balancer."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for gantry's tasks; they reach GitHub and AWS through the NAT gateways."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the shared ALB; gantry's tasks accept traffic only from it."
  type        = string
}

variable "listener_arn" {
  description = "HTTPS listener of the shared ALB that gets gantry's host-name rule."
  type        = string
}

variable "listener_rule_priority" {
  description = "Priority of gantry's listener rule; must be unique on the listener."
  type        = number
  default     = 10
}

variable "host_name" {
  description = "Host name GitHub sends webhooks to, e.g. gantry.classla.org."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate covering host_name, added to the listener. Null when the listener's default certificate already covers it."
  type        = string
  default     = null
}

variable "zone_id" {
  description = "Route53 zone in which to create host_name as an alias of the ALB. Null: no record."
  type        = string
  default     = null
}

variable "alb_dns_name" {
  description = "DNS name of the shared ALB (for the alias record)."
  type        = string
  default     = null
}

variable "alb_zone_id" {
  description = "Hosted zone of the shared ALB (for the alias record)."
  type        = string
  default     = null
}

variable "image" {
  description = "gantry's container image, ideally pinned by digest (REPO@sha256:...)."
  type        = string
}

variable "container_port" {
  description = "Port gantry listens on (GANTRY_ADDR)."
  type        = number
  default     = 8080
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB; Terraform plans run inside the task."
  type        = number
  default     = 1024
}

variable "github_app_id" {
  description = "ID of the GitHub App (not secret)."
  type        = string
}

variable "public_url" {
  description = "GANTRY_PUBLIC_URL; defaults to https://HOST_NAME. With workload identity it is the issuer of gantry's tokens (their iss, github_oidc's gantry_issuer_url): https, without a trailing slash."
  type        = string
  default     = null

  validation {
    condition     = var.public_url == null || can(regex("^https://[^/?#*\\s]+(/[^?#*\\s]*[^/?#*\\s])?$", var.public_url))
    error_message = "public_url must be an https URL without a trailing slash, query, fragment or wildcard."
  }
}

variable "environment_variables" {
  description = "More GANTRY_* settings for the container (never secrets: those go to Secrets Manager). The settings this module's own variables make cannot be overridden here."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      "GANTRY_EXECUTOR", "GANTRY_PUBLIC_URL", "GANTRY_ROLE_ALLOWLIST", "GANTRY_SANDBOX_USER", "GANTRY_WORKLOAD_IDENTITY",
      "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET",
    ])) == 0
    error_message = "Set the executor, public URL, role allowlist, sandbox user and workload identity with their own variables; secrets never go into the environment."
  }
}

variable "executor" {
  description = "GANTRY_EXECUTOR: actions (jobs run in the repository's GitHub Actions, with the runner's OIDC token) or local (jobs run in the task, with tokens gantry signs itself: workload identity is on, since the task has no other AWS identity)."
  type        = string
  default     = "actions"

  validation {
    condition     = contains(["actions", "local"], var.executor)
    error_message = "executor must be actions or local."
  }
}

variable "workload_identity" {
  description = "GANTRY_WORKLOAD_IDENTITY=on: gantry signs a token per job for AWS (SPEC §10) and serves /.well-known/openid-configuration and /.well-known/jwks.json at public_url; the roles must trust that issuer (github_oidc's gantry_issuer_url). Null: on with the local executor, off with actions. The local executor refuses false."
  type        = bool
  default     = null
}

variable "allowed_roles" {
  description = "GANTRY_ROLE_ALLOWLIST: for each repository (OWNER/REPO glob), the role ARNs (or ARN globs) its .gantry.yaml may name. Give exactly this stack's roles."
  type        = map(list(string))

  validation {
    condition     = length(var.allowed_roles) > 0 && alltrue([for repo, roles in var.allowed_roles : length(roles) > 0 && can(regex("^[^,=/]+/[^,=/]+$", repo))])
    error_message = "allowed_roles must map each OWNER/REPO to at least one role."
  }

  validation {
    condition     = alltrue(flatten([for roles in values(var.allowed_roles) : [for r in roles : startswith(r, "arn:") && !strcontains(r, ",") && !strcontains(r, "=")]]))
    error_message = "Each allowed role must be a role ARN (or ARN glob) without commas or equals signs."
  }
}

variable "sandbox_user" {
  description = "GANTRY_SANDBOX_USER: the user every Terraform, build and hook process runs as. The image runs gantry as root and creates gantry-run for this."
  type        = string
  default     = "gantry-run"

  validation {
    condition     = length(var.sandbox_user) > 0 && var.sandbox_user != "root" && var.sandbox_user != "0"
    error_message = "sandbox_user must name an unprivileged user: the sandbox is what keeps a pull request's Terraform away from gantry's key."
  }
}



variable "log_kms_key_arn" {
  description = "KMS key for the log group; its key policy must allow logs.REGION.amazonaws.com. Null: CloudWatch's own encryption."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days to keep gantry's logs."
  type        = number
  default     = 90
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
