# Bad: the apply role trusts gantry's tokens with StringLike on a wildcard subject and no
# audience: any project's apply token (of any repository gantry serves) assumes it.
resource "aws_iam_openid_connect_provider" "gantry" {
  url             = "https://gantry.example.org"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GantryOIDC"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.gantry.arn]
    }

    condition {
      test     = "StringLike"
      variable = "gantry.example.org:sub"
      values   = ["repo:*:project:*:phase:apply"]
    }
  }
}

resource "aws_iam_role" "apply" {
  name               = "x-apply"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
