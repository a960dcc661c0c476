# Bad: the role's inline policy is larger than IAM's 10,240 characters: creating the role fails.
resource "aws_iam_role" "apply" {
  name               = "x-apply"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "apply" {
  statement {
    sid       = "Many"
    actions   = [for i in range(400) : "ec2:CreateSomethingNumbered${i}"]
    resources = ["arn:aws:ec2:us-east-1:111111111111:*"]
  }
}

resource "aws_iam_role_policy" "apply" {
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}
