# Bad: "production" has no deployment branch policy, so the first workflow on any branch that
# names it creates it and runs in it; "staging" admits every branch matching a wildcard;
# "backend" admits tags.
resource "github_repository_environment" "production" {
  repository  = "app"
  environment = "production"
}

resource "github_repository_environment" "staging" {
  repository  = "app"
  environment = "staging"

  deployment_branch_policy {
    protected_branches     = false
    custom_branch_policies = true
  }
}

resource "github_repository_environment_deployment_policy" "staging" {
  repository     = "app"
  environment    = github_repository_environment.staging.environment
  branch_pattern = "release/*"
}

resource "github_repository_environment" "backend" {
  repository  = "app"
  environment = "backend"

  deployment_branch_policy {
    protected_branches     = false
    custom_branch_policies = true
  }
}

resource "github_repository_environment_deployment_policy" "backend" {
  repository  = "app"
  environment = github_repository_environment.backend.environment
  tag_pattern = "v*"
}
