# Bad: the deploy role trusts a project's subject with the deploy phase, which gantry never
# signs (a deploy's subject names a service), and a role trusting gantry's tokens whose label
# names no phase.
resource "aws_iam_openid_connect_provider" "gantry" {
  url             = "https://gantry.example.org"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

data "aws_iam_policy_document" "deploy" {
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
      values   = ["repo:classla/classla:project:production:phase:deploy"]
    }
  }
}

data "aws_iam_policy_document" "ops" {
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
      values   = ["repo:classla/classla:service:backend:phase:rollback"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name               = "x-deploy"
  assume_role_policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_iam_role" "ops" {
  name               = "x-ops"
  assume_role_policy = data.aws_iam_policy_document.ops.json
}
