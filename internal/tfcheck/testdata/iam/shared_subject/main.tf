# Bad: the plan and apply roles both trust environment:production, so the plan job's token
# (or any workflow that runs in that environment) assumes the apply role.
variable "github_repository" {
  type = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "OWNER/REPO."
  }
}

locals {
  subjects = {
    plan  = ["repo:${var.github_repository}:environment:production"]
    apply = ["repo:${var.github_repository}:environment:production"]
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value
    }
  }
}

resource "aws_iam_role" "plan" {
  name               = "x-plan"
  assume_role_policy = data.aws_iam_policy_document.trust["plan"].json
}

resource "aws_iam_role" "apply" {
  name               = "x-apply"
  assume_role_policy = data.aws_iam_policy_document.trust["apply"].json
}
