# Bad: the deploy role's boundary allows ECS and ECR only, but its policy also grants
# logs:CreateLogStream: the grant is void, and the deploy fails half-way.
resource "aws_iam_role" "deploy" {
  name                 = "x-deploy"
  assume_role_policy   = "{}"
  permissions_boundary = aws_iam_policy.boundary.arn
}

data "aws_iam_policy_document" "boundary" {
  statement {
    actions   = [for s in ["ecs", "ecr"] : "${s}:*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name   = "x-boundary"
  policy = data.aws_iam_policy_document.boundary.json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "Deploy"
    actions   = ["ecs:UpdateService", "logs:CreateLogStream"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "deploy" {
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
