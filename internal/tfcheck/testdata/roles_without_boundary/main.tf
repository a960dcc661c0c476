# Bad: a role of the stack without the permissions boundary: the apply role may not create it,
# and if it could, the role would escape the guardrails.
resource "aws_iam_role" "task" {
  name               = "app-task"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "execution" {
  name                 = "app-execution"
  assume_role_policy   = "{}"
  permissions_boundary = var.permissions_boundary_arn
}

variable "permissions_boundary_arn" {
  type = string
}
