# Bad: the plan role, which runs pull requests' code, may overwrite the state object and any
# item of the lock table (the state's digest among them), and call a write API.
variable "state_key" {
  type    = string
  default = "production/terraform.tfstate"
}

resource "aws_iam_role" "plan" {
  name               = "x-plan"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ReadWriteState"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::state-bucket/${var.state_key}"]
  }

  statement {
    sid       = "StateLock"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = ["arn:aws:dynamodb:us-east-1:111111111111:table/locks"]
  }

  statement {
    sid       = "Tags"
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "plan" {
  name   = "x-plan-read"
  policy = data.aws_iam_policy_document.plan.json
}

resource "aws_iam_role_policy_attachment" "plan" {
  role       = aws_iam_role.plan.name
  policy_arn = aws_iam_policy.plan.arn
}
