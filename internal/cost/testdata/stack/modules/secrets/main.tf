# The values are written outside Terraform; only the containers are managed here.
resource "aws_secretsmanager_secret" "this" {
  for_each = toset(var.names)

  name        = each.key
  description = "Read by the backend tasks at start"
}
