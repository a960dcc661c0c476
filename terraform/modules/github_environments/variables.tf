variable "github_repository" {
  description = "OWNER/REPO whose environments these are. The github provider's owner must be OWNER."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/REPO, without wildcards."
  }
}

variable "environments" {
  description = "The environments gantry's roles trust, by name, each with optional required reviewers (user and team IDs) and a wait timer in minutes."
  type = map(object({
    reviewer_user_ids   = optional(list(number), [])
    reviewer_team_ids   = optional(list(number), [])
    prevent_self_review = optional(bool, true)
    wait_timer          = optional(number, 0)
  }))

  validation {
    condition     = length(var.environments) > 0 && alltrue([for name in keys(var.environments) : can(regex("^[A-Za-z0-9._-]+$", name))])
    error_message = "environments must name at least one environment, each without wildcards."
  }

  validation {
    condition     = alltrue([for e in values(var.environments) : length(e.reviewer_user_ids) + length(e.reviewer_team_ids) <= 6])
    error_message = "GitHub allows at most six required reviewers per environment."
  }
}

variable "deployment_branch" {
  description = "The one branch whose workflow runs may use the environments: the repository's default branch, where gantry dispatches its workflow (SPEC §7)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.deployment_branch))
    error_message = "deployment_branch must be one branch name, without wildcards."
  }
}
