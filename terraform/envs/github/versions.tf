terraform {
  required_version = ">= 1.5"

  required_providers {
    github = {
      source  = "integrations/github"
      version = "~> 6.0"
    }
  }

  # Partial configuration, as in the other environments: see backend.hcl.example.
  backend "s3" {
    encrypt        = true
    dynamodb_table = "classla-terraform-locks"
  }
}

# Authenticates with GITHUB_TOKEN (or GITHUB_APP_* settings) from the environment of the
# administrator who applies this root: a token that may administer the repository. gantry never
# holds such a token, and never plans or applies this root (it is not a project of .gantry.yaml).
provider "github" {
  owner = split("/", var.github_repository)[0]
}
