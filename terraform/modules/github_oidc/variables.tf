variable "name_prefix" {
  description = "Prefix of the role names: NAME_PREFIX-plan-ENV, NAME_PREFIX-terraform-ENV, NAME_PREFIX-deploy-SERVICE (and NAME_PREFIX-deploy-FRONTEND_SERVICE_NAME)."
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

# Each role trusts one GitHub environment (repo:OWNER/REPO:environment:NAME), and the plan role
# also pull_request; no two roles share a subject. Protect the environments (modules/
# github_environments) so that only the default branch's workflow runs in them.
variable "plan_environment" {
  description = "GitHub environment of plans of pull-request code (SPEC §7: gantry-plan); the only environment the plan role trusts."
  type        = string
  default     = "gantry-plan"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.plan_environment))
    error_message = "plan_environment must be an environment name, without wildcards."
  }
}

variable "plan_trusts_pull_requests" {
  description = "Whether the plan role also trusts repo:OWNER/REPO:pull_request, the token of a workflow run for a pull request of this repository (not a fork's) without an environment."
  type        = bool
  default     = true
}

variable "apply_environment" {
  description = "GitHub environment of merge-time plans and applies: the project's name in .gantry.yaml. Null: environment."
  type        = string
  default     = null

  validation {
    condition     = var.apply_environment == null || can(regex("^[A-Za-z0-9._-]+$", var.apply_environment))
    error_message = "apply_environment must be an environment name, without wildcards."
  }
}

variable "deploy_environment" {
  description = "GitHub environment of deploys and rollbacks: the service's name in .gantry.yaml. Null: service_name."
  type        = string
  default     = null

  validation {
    condition     = var.deploy_environment == null || can(regex("^[A-Za-z0-9._-]+$", var.deploy_environment))
    error_message = "deploy_environment must be an environment name, without wildcards."
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

# gantry as its own OIDC issuer (GANTRY_WORKLOAD_IDENTITY=on, SPEC §10): each role also trusts
# gantry's tokens, for its phase's subjects only (docs/security.md, "Workload identity").
variable "gantry_issuer_url" {
  description = "GANTRY_PUBLIC_URL of the gantry that signs these roles' jobs' tokens (GANTRY_WORKLOAD_IDENTITY=on), exactly as its tokens' iss: https://HOST[/PATH], no trailing slash. AWS fetches its /.well-known/openid-configuration and /.well-known/jwks.json from the internet. Null: the roles trust GitHub's tokens only."
  type        = string
  default     = null

  validation {
    condition     = var.gantry_issuer_url == null || can(regex("^https://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+(/[A-Za-z0-9._~-]+)*$", var.gantry_issuer_url))
    error_message = "gantry_issuer_url must be https://HOST[/PATH] with a DNS name, without a port, trailing slash, query, fragment or wildcard."
  }

  validation {
    condition     = var.gantry_issuer_url != "https://token.actions.githubusercontent.com"
    error_message = "gantry_issuer_url is gantry's own issuer, not GitHub's."
  }
}

variable "create_gantry_oidc_provider" {
  description = "Create the IAM OIDC provider of gantry_issuer_url. An account has one provider per URL: when another environment of the account already trusts the same gantry, set false and pass that environment's gantry_oidc_provider_arn."
  type        = bool
  default     = true
}

variable "gantry_oidc_provider_arn" {
  description = "ARN of the existing IAM OIDC provider of gantry_issuer_url, used when create_gantry_oidc_provider is false."
  type        = string
  default     = null
}

variable "gantry_thumbprint_list" {
  description = "Required to create gantry's OIDC provider: SHA-1 fingerprints (40 hex digits) of the top intermediate CA certificate of gantry_issuer_url's TLS chain (the last certificate of `openssl s_client -servername HOST -connect HOST:443 -showcerts`, then `openssl x509 -fingerprint -sha1 -noout`, without colons). AWS checks a certificate issued by a public CA (ACM's are) against its own trusted CAs and does not use these, but IAM's API and the AWS provider versions this module allows (~> 5.0, whose earlier releases require the argument) need at least one."
  type        = list(string)
  default     = null

  validation {
    condition     = var.gantry_thumbprint_list == null ? true : (length(var.gantry_thumbprint_list) > 0 && alltrue([for t in var.gantry_thumbprint_list : can(regex("^[0-9A-Fa-f]{40}$", t))]))
    error_message = "gantry_thumbprint_list must hold at least one SHA-1 fingerprint of 40 hex digits, without colons."
  }
}

variable "gantry_projects" {
  description = "Projects of .gantry.yaml whose plans (plan role: repo:OWNER/REPO:project:NAME:phase:plan) and merge-time plans and applies (apply role: ...:phase:apply) use these roles with gantry's tokens. Null: the project named apply_environment (else environment)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.gantry_projects == null ? true : (length(var.gantry_projects) > 0 && alltrue([for p in var.gantry_projects : can(regex("^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$", p))]))
    error_message = "gantry_projects must name at least one project of .gantry.yaml (null: the project named apply_environment), each of letters, digits, '.', '_' and '-', without wildcards or colons."
  }
}

variable "gantry_services" {
  description = "Services of .gantry.yaml whose deploys and rollbacks use the deploy role with gantry's tokens (repo:OWNER/REPO:service:NAME:phase:deploy). Null: the service named deploy_environment (else service_name)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.gantry_services == null ? true : (length(var.gantry_services) > 0 && alltrue([for s in var.gantry_services : can(regex("^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$", s))]))
    error_message = "gantry_services must name at least one service of .gantry.yaml (null: the service named deploy_environment), each of letters, digits, '.', '_' and '-', without wildcards or colons."
  }
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
  description = "Name prefixes of the IAM roles and policies the apply role may manage. Never gantry's own prefix: gantry's roles are the administrator's."
  type        = list(string)
  default     = ["classla-"]

  validation {
    condition     = alltrue([for p in var.managed_name_prefixes : can(regex("^[A-Za-z0-9+=,.@_-]+$", p)) && !startswith(p, "gantry")])
    error_message = "managed_name_prefixes must be plain name prefixes, none of them gantry's."
  }
}

variable "managed_secret_prefixes" {
  description = "Name prefixes of the Secrets Manager secrets the apply role may create, change and delete."
  type        = list(string)
  default     = ["classla/", "classla-"]

  validation {
    condition     = alltrue([for p in var.managed_secret_prefixes : length(p) > 0 && !strcontains(p, "*") && !startswith(p, "gantry")])
    error_message = "managed_secret_prefixes must be plain name prefixes, none of them gantry's."
  }
}

variable "attachable_aws_policies" {
  description = "AWS managed policies (path/name after arn:aws:iam::aws:policy/) the apply role may attach to the stack's roles, besides the stack's own policies."
  type        = list(string)
  default     = ["service-role/AmazonECSTaskExecutionRolePolicy"]
}

variable "boundary_services" {
  description = "Services the permissions boundary allows (the roles' own policies choose the actions). Add one when the stack's roles need it."
  type        = list(string)
  default = [
    "acm", "amplify", "application-autoscaling", "cloudwatch", "dynamodb", "ec2", "ecr", "ecs",
    "elasticloadbalancing", "iam", "kms", "logs", "route53", "s3", "secretsmanager", "sns", "wafv2",
  ]
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
  description = "The service's task role and execution role: the only roles the deploy and apply roles may pass, and only to ECS tasks."
  type        = list(string)

  validation {
    condition     = length(var.task_role_arns) == 2
    error_message = "task_role_arns must hold exactly the task role and the execution role."
  }
}

variable "flow_log_role_arn" {
  description = "The VPC flow log role (network's flow_log_role_arn): the apply role may pass it to vpc-flow-logs.amazonaws.com only."
  type        = string
}

variable "stack_secret_arns" {
  description = "The stack's secrets whose resource policy the apply role may set (the secrets module's); never gantry's."
  type        = list(string)

  validation {
    condition     = length(var.stack_secret_arns) > 0 && alltrue([for a in var.stack_secret_arns : !strcontains(a, "*")])
    error_message = "stack_secret_arns must list the secrets one by one."
  }
}

variable "stack_kms_key_arns" {
  description = "The stack's KMS keys whose key policy the apply role may set and on which AWS services may make grants for it; never gantry's or the state's."
  type        = list(string)

  validation {
    condition     = length(var.stack_kms_key_arns) > 0 && alltrue([for a in var.stack_kms_key_arns : !strcontains(a, "*")])
    error_message = "stack_kms_key_arns must list the keys one by one."
  }
}

variable "gantry_role_arns" {
  description = "The roles of gantry's own task (the gantry module's role_arns): nothing under the boundary may change or pass them."
  type        = list(string)
}

variable "gantry_secret_arns" {
  description = "gantry's own secrets (App key, webhook secret): nothing under the boundary may read or change them."
  type        = list(string)

  validation {
    condition     = length(var.gantry_secret_arns) > 0
    error_message = "gantry_secret_arns must list gantry's secrets."
  }
}

variable "gantry_kms_key_arn" {
  description = "The KMS key of gantry's secrets: nothing under the boundary may use or change it."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# The frontend service on Amplify (SPEC §6, "The frontend on Amplify"): its own deploy role,
# NAME_PREFIX-deploy-FRONTEND_SERVICE_NAME, that may only release one branch of one app.
variable "amplify_app_id" {
  description = "ID of the Amplify app the frontend service releases (the amplify module's app_id). Null: no frontend role."
  type        = string
  default     = null

  validation {
    condition     = var.amplify_app_id == null || can(regex("^d[a-z0-9]{1,19}$", var.amplify_app_id))
    error_message = "amplify_app_id must be an Amplify app ID (d followed by up to 19 lowercase letters and digits)."
  }
}

variable "create_frontend_role" {
  description = "Whether to create the frontend role. Null: when amplify_app_id is set. Set true when amplify_app_id is an app created in the same root, whose ID Terraform only knows after the apply."
  type        = bool
  default     = null
}

variable "amplify_branch" {
  description = "The one branch of the Amplify app the frontend role may release."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.amplify_branch)) && !strcontains(var.amplify_branch, "*")
    error_message = "amplify_branch must be a branch name, without wildcards."
  }
}

variable "frontend_service_name" {
  description = "The frontend's service name in .gantry.yaml: the frontend role's name (NAME_PREFIX-deploy-NAME) and gantry's subject it trusts (repo:OWNER/REPO:service:NAME:phase:deploy)."
  type        = string
  default     = "frontend"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*$", var.frontend_service_name))
    error_message = "frontend_service_name must be a service name of letters, digits, '.', '_' and '-', without wildcards or colons."
  }
}

variable "frontend_environment" {
  description = "GitHub environment of the frontend's releases and rollbacks, the only one the frontend role trusts. Null: frontend_service_name."
  type        = string
  default     = null

  validation {
    condition     = var.frontend_environment == null || can(regex("^[A-Za-z0-9._-]+$", var.frontend_environment))
    error_message = "frontend_environment must be an environment name, without wildcards."
  }
}
