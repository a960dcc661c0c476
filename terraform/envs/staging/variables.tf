variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "azs" {
  description = "Two availability zones of the region."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b"]
}

variable "domain_name" {
  description = "Apex domain whose Route53 zone holds the stack's records."
  type        = string
  default     = "classla.org"
}

variable "zone_id" {
  description = "ID of the Route53 hosted zone of domain_name."
  type        = string
}

variable "github_repository" {
  description = "OWNER/REPO whose GitHub OIDC tokens may assume gantry's roles."
  type        = string
}

variable "frontend_repository_url" {
  description = "HTTPS URL of the frontend's GitHub repository, built by Amplify."
  type        = string
}

variable "amplify_access_token" {
  description = "GitHub token Amplify uses once to connect the frontend repository. Pass it as TF_VAR_amplify_access_token, never in a file."
  type        = string
  default     = null
  sensitive   = true
}

variable "backend_image" {
  description = "Image the backend service starts with; gantry replaces it with digest-pinned images on deploy."
  type        = string
}

variable "gantry_image" {
  description = "gantry's own image, pinned by digest."
  type        = string
}

variable "gantry_extra_allowed_roles" {
  description = "Roles besides this environment's three that this gantry may assume for github_repository (GANTRY_ROLE_ALLOWLIST), e.g. another environment's plan and apply roles when this gantry serves both projects of .gantry.yaml."
  type        = list(string)
  default     = []
}

variable "gantry_executor" {
  description = "Where this environment's gantry runs jobs: actions (the repository's GitHub Actions runners, with GitHub's OIDC tokens) or local (gantry's own task, with tokens gantry signs per job: workload identity, and the roles trust gantry's issuer)."
  type        = string
  default     = "actions"

  validation {
    condition     = contains(["actions", "local"], var.gantry_executor)
    error_message = "gantry_executor must be actions or local."
  }
}

variable "gantry_issuer_url" {
  description = "GANTRY_PUBLIC_URL of another gantry that runs this environment's projects with workload identity, whose tokens the roles then trust. Null: this environment's own gantry when gantry_executor is local, else no gantry."
  type        = string
  default     = null
}

variable "create_gantry_oidc_provider" {
  description = "Create the IAM OIDC provider of gantry's issuer here; false when another environment of the account trusts the same gantry and already did."
  type        = bool
  default     = true
}

variable "gantry_oidc_provider_arn" {
  description = "Existing IAM OIDC provider of gantry's issuer, when create_gantry_oidc_provider is false."
  type        = string
  default     = null
}

variable "gantry_thumbprint_list" {
  description = "Thumbprints for gantry's OIDC provider, needed to create it (see modules/github_oidc's gantry_thumbprint_list)."
  type        = list(string)
  default     = null
}

variable "github_app_id" {
  description = "ID of the GitHub App gantry runs as."
  type        = string
}

variable "state_bucket_name" {
  description = "State bucket (bootstrap output state_bucket_name)."
  type        = string
  default     = "classla-terraform-state"
}

variable "lock_table_name" {
  description = "Lock table (bootstrap output lock_table_name)."
  type        = string
  default     = "classla-terraform-locks"
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket (bootstrap output state_kms_key_arn)."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC provider here; false when another environment of the same account already did."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider, when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "Address that receives CloudWatch alarm notifications (confirm the subscription mail). Null: nobody."
  type        = string
  default     = null
}
