# Bad: a copy-paste left the apply subject in the plan role's list. The plan role is then also
# assumed with the apply phase's tokens; the mistake the other way round (phase:plan in the
# apply role) would hand the apply role to every pull request's plan.
locals {
  subjects = {
    plan  = ["repo:classla/classla:project:production:phase:plan", "repo:classla/classla:project:staging:phase:apply"]
    apply = ["repo:classla/classla:project:production:phase:apply"]
  }
}

resource "aws_iam_openid_connect_provider" "gantry" {
  url             = "https://gantry.example.org"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

data "aws_iam_policy_document" "trust" {
  for_each = local.subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gantry.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "gantry.example.org:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "gantry.example.org:sub"
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
