# Bad: the apply role may change roles named x-*, which include itself and the plan role, and
# nothing denies it: it can grant itself anything, or trust any token. It has no boundary.
locals {
  managed_roles = ["arn:aws:iam::111111111111:role/x-*"]
}

resource "aws_iam_role" "plan" {
  name               = "x-plan"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "apply" {
  name               = "x-apply"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "apply" {
  statement {
    sid       = "Iam"
    actions   = ["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]
    resources = local.managed_roles
  }
}

resource "aws_iam_role_policy" "apply" {
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}
