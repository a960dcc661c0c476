# Bad: the trust pins the audience but not the subject: every repository's workflow on GitHub
# gets a token with aud sts.amazonaws.com.
variable "github_repository" {
  type = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "OWNER/REPO."
  }
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "plan" {
  name               = "x-plan"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
