# Bad: the deploy role may pass its roles to any service (a Lambda function or an EC2 instance
# of its own then runs with them), and one statement passes every role matching a pattern.
resource "aws_iam_role" "deploy" {
  name               = "x-deploy"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::111111111111:role/app-task"]
  }

  statement {
    sid       = "PassAnyAppRole"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::111111111111:role/app-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
