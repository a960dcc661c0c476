# Bad: two trust statements of gantry's tokens whose conditions name other claims than their
# provider's. The first was copied from the GitHub statement; the second kept the https:// of
# the URL, which IAM leaves out of the keys. Neither pins a claim gantry's tokens carry.
resource "aws_iam_openid_connect_provider" "gantry" {
  url             = "https://gantry.example.org"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

data "aws_iam_policy_document" "plan" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gantry.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:classla/classla:project:production:phase:plan"]
    }
  }
}

data "aws_iam_policy_document" "apply" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::111111111111:oidc-provider/gantry.example.org"]
    }

    condition {
      test     = "StringEquals"
      variable = "https://gantry.example.org:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "https://gantry.example.org:sub"
      values   = ["repo:classla/classla:project:production:phase:apply"]
    }
  }
}

resource "aws_iam_role" "plan" {
  name               = "x-plan"
  assume_role_policy = data.aws_iam_policy_document.plan.json
}

resource "aws_iam_role" "apply" {
  name               = "x-apply"
  assume_role_policy = data.aws_iam_policy_document.apply.json
}
