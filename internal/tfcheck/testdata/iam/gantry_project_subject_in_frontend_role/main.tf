# Bad: the frontend role (a deploy role of the Amplify frontend service) trusts a project's
# subjects: one with the deploy phase, which gantry never signs (a deploy's subject names a
# service), and one of the apply phase.
resource "aws_iam_openid_connect_provider" "gantry" {
  url             = "https://gantry.example.org"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

data "aws_iam_policy_document" "frontend" {
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
      values   = ["repo:classla/classla:project:production:phase:deploy", "repo:classla/classla:project:production:phase:apply"]
    }
  }
}

resource "aws_iam_role" "frontend" {
  name               = "x-deploy-frontend"
  assume_role_policy = data.aws_iam_policy_document.frontend.json
}
