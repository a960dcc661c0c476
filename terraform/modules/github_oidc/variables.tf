variable "name_prefix" {
  description = "Prefix of the role names: NAME_PREFIX-plan-ENV, NAME_PREFIX-terraform-ENV, NAME_PREFIX-deploy-SERVICE."
  type        = string
  default     = "gantry"
}

variable "environment" {
  description = "Environment the plan and apply roles belong to (staging, production)."
  type        = string
}

variable "github_repository" {
  description = "OWNER/REPO of the repository whose tokens may assume the roles. Exact: no wildcards."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO, without wildcards."
  }
}

# Subjects are the part of the token's sub claim after "repo:OWNER/REPO:". Only exact branch refs and
# environments are accepted, so a trust policy can never match another repository or a pull request from a fork.
variable "plan_subjects" {
  description = "Token subjects (after repo:OWNER/REPO:) allowed to assume the plan role, e.g. ref:refs/heads/main or environment:staging."
  type        = list(string)
  default     = ["ref:refs/heads/main"]

  validation {
    condition     = length(var.plan_subjects) > 0 && alltrue([for s in var.plan_subjects : can(regex("^(ref:refs/heads/[A-Za-z0-9._/-]+|environment:[A-Za-z0-9._-]+)$", s))])
    error_message = "plan_subjects must be ref:refs/heads/BRANCH or environment:NAME, without wildcards."
  }
}

variable "apply_subjects" {
  description = "Token subjects (after repo:OWNER/REPO:) allowed to assume the apply role."
  type        = list(string)
  default     = ["ref:refs/heads/main"]

  validation {
    condition     = length(var.apply_subjects) > 0 && alltrue([for s in var.apply_subjects : can(regex("^(ref:refs/heads/[A-Za-z0-9._/-]+|environment:[A-Za-z0-9._-]+)$", s))])
    error_message = "apply_subjects must be ref:refs/heads/BRANCH or environment:NAME, without wildcards."
  }
}

variable "deploy_subjects" {
  description = "Token subjects (after repo:OWNER/REPO:) allowed to assume the deploy role."
  type        = list(string)
  default     = ["ref:refs/heads/main"]

  validation {
    condition     = length(var.deploy_subjects) > 0 && alltrue([for s in var.deploy_subjects : can(regex("^(ref:refs/heads/[A-Za-z0-9._/-]+|environment:[A-Za-z0-9._-]+)$", s))])
    error_message = "deploy_subjects must be ref:refs/heads/BRANCH or environment:NAME, without wildcards."
  }
}

variable "create_oidc_provider" {
  description = "Create the token.actions.githubusercontent.com provider. An account has at most one: set false in the second environment of a shared account and pass oidc_provider_arn."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com provider, used when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "thumbprint_list" {
  description = "Certificate thumbprints of token.actions.githubusercontent.com. AWS no longer checks them for this issuer, but the API still requires one."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

variable "state_bucket_name" {
  description = "S3 bucket holding the Terraform state (from bootstrap/)."
  type        = string
}

variable "state_key" {
  description = "Object key of this environment's state in the bucket, e.g. production/terraform.tfstate."
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key that encrypts the state bucket (from bootstrap/)."
  type        = string
}

variable "lock_table_name" {
  description = "DynamoDB table holding the Terraform state locks (from bootstrap/)."
  type        = string
}

variable "managed_name_prefixes" {
  description = "Name prefixes of the IAM roles, policies and other named resources the apply role may manage."
  type        = list(string)
  default     = ["classla-", "gantry-"]
}

variable "hosted_zone_id" {
  description = "Route53 hosted zone whose records the apply role may change."
  type        = string
}

variable "service_name" {
  description = "Name of the deployed service, used in the deploy role's name (gantry-deploy-SERVICE)."
  type        = string
  default     = "backend"
}

variable "ecr_repository_arn" {
  description = "The one ECR repository the deploy role may push to."
  type        = string
}

variable "ecs_cluster_name" {
  description = "Cluster of the one ECS service the deploy role may update."
  type        = string
}

variable "ecs_service_name" {
  description = "The one ECS service the deploy role may update."
  type        = string
}

variable "task_role_arns" {
  description = "The service's task role and execution role: the only roles the deploy role may pass to ECS."
  type        = list(string)

  validation {
    condition     = length(var.task_role_arns) == 2
    error_message = "task_role_arns must hold exactly the task role and the execution role."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
