# The GitHub environments gantry's AWS roles trust (repo:OWNER/REPO:environment:NAME). GitHub
# creates an unprotected environment the first time any branch's workflow names one, so each
# exists here first, with a deployment branch policy that admits the default branch alone: a
# workflow pushed on another branch that names the environment is refused before it runs, and
# never gets a token with that environment's subject.

locals {
  repository = split("/", var.github_repository)[1]
}

resource "github_repository_environment" "this" {
  for_each = var.environments

  repository          = local.repository
  environment         = each.key
  wait_timer          = each.value.wait_timer
  can_admins_bypass   = false
  prevent_self_review = each.value.prevent_self_review

  dynamic "reviewers" {
    for_each = length(each.value.reviewer_user_ids) + length(each.value.reviewer_team_ids) > 0 ? [each.value] : []

    content {
      users = reviewers.value.reviewer_user_ids
      teams = reviewers.value.reviewer_team_ids
    }
  }

  # Selected branches only; the one selected is below.
  deployment_branch_policy {
    protected_branches     = false
    custom_branch_policies = true
  }
}

resource "github_repository_environment_deployment_policy" "this" {
  for_each = github_repository_environment.this

  repository     = local.repository
  environment    = each.value.environment
  branch_pattern = var.deployment_branch
}
