# The GitHub side of both environments: the environments gantry's AWS roles trust, each usable
# from the default branch only. An administrator applies this root with a GitHub token before
# the first gantry job runs (docs/infrastructure.md); gantry never plans or applies it, so the
# protections of the apply role can never be changed by the apply role's own runs.

locals {
  # Every environment a role of envs/staging or envs/production trusts (their
  # github_environments output): gantry-plan for plans of pull requests, each project for its
  # merge-time plan and apply, each service for its deploys (frontend: the Amplify releases).
  # internal/tfcheck fails when a trusted environment is missing here.
  environments = {
    "gantry-plan" = {}
    staging       = {}
    production = {
      reviewer_user_ids = var.production_reviewer_user_ids
      reviewer_team_ids = var.production_reviewer_team_ids
    }
    backend           = {}
    "backend-staging" = {}
    frontend          = {}
  }
}

module "github_environments" {
  source = "../../modules/github_environments"

  github_repository = var.github_repository
  deployment_branch = var.default_branch
  environments      = local.environments
}
