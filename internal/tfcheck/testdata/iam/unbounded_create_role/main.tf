# Bad: the apply role may create roles without the permissions boundary, and has none itself:
# it creates a role with AdministratorAccess and hands it to a service.
resource "aws_iam_role" "apply" {
  name               = "x-apply"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "apply" {
  statement {
    sid       = "Roles"
    actions   = ["iam:CreateRole", "iam:PutRolePolicy"]
    resources = ["arn:aws:iam::111111111111:role/app-*"]
  }
}

resource "aws_iam_role_policy" "apply" {
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}
