variable "github_repository" {
  description = "OWNER/REPO whose workflows gantry dispatches; the same repository envs/staging and envs/production trust."
  type        = string
}

variable "default_branch" {
  description = "The repository's default branch: the only branch whose workflow runs may use the environments."
  type        = string
  default     = "main"
}

variable "production_reviewer_user_ids" {
  description = "IDs of users of whom one must approve each production apply in GitHub before its job starts. Empty: no approval beyond gantry's apply.requires."
  type        = list(number)
  default     = []
}

variable "production_reviewer_team_ids" {
  description = "IDs of teams of which a member must approve each production apply in GitHub before its job starts."
  type        = list(number)
  default     = []
}
