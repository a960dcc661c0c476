# Bad: the apply role may change IAM, and its guardrails protect the roles and GitHub's provider
# but not gantry's: it could add a client id to gantry's provider, change its thumbprints or
# delete it (and so stop every job, or trust another issuer under gantry's URL).
locals {
  protected = [
    "arn:aws:iam::111111111111:role/x-plan",
    "arn:aws:iam::111111111111:role/x-apply",
    "arn:aws:iam::111111111111:policy/x-boundary",
    "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
  ]
}

resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

resource "aws_iam_openid_connect_provider" "gantry" {
  url             = "https://gantry.example.org"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["0000000000000000000000000000000000000000"]
}

data "aws_iam_policy_document" "guardrails" {
  statement {
    sid         = "NoChangeToGantrysIdentity"
    effect      = "Deny"
    not_actions = ["iam:Get*", "iam:List*"]
    resources   = local.protected
  }
}

data "aws_iam_policy_document" "apply" {
  source_policy_documents = [data.aws_iam_policy_document.guardrails.json]

  statement {
    sid       = "Iam"
    actions   = ["iam:PutRolePolicy", "iam:UpdateOpenIDConnectProviderThumbprint"]
    resources = ["arn:aws:iam::111111111111:role/x-*", "arn:aws:iam::111111111111:oidc-provider/*"]
  }
}

data "aws_iam_policy_document" "boundary" {
  source_policy_documents = [data.aws_iam_policy_document.guardrails.json]

  statement {
    sid       = "Iam"
    actions   = ["iam:*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name   = "x-boundary"
  policy = data.aws_iam_policy_document.boundary.json
}

resource "aws_iam_role" "plan" {
  name                 = "x-plan"
  assume_role_policy   = "{}"
  permissions_boundary = aws_iam_policy.boundary.arn
}

resource "aws_iam_role" "apply" {
  name                 = "x-apply"
  assume_role_policy   = "{}"
  permissions_boundary = aws_iam_policy.boundary.arn
}

resource "aws_iam_role_policy" "apply" {
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}
