# gantry's own service: secrets under a key of their own, log group and the execution role. The
# network side (target group, listener rule, security group, ECS service) is in service.tf.
#
# The task has no role of its own, so no AWS credentials: with the actions executor, jobs get
# theirs in GitHub Actions from the runner's OIDC token; with the local executor, from a token
# gantry signs per job (GANTRY_WORKLOAD_IDENTITY). The roles gantry assumes trust only web
# identity, so a task role could never have assumed them anyway.

data "aws_region" "current" {}

locals {
  secrets = {
    GITHUB_APP_PRIVATE_KEY = "App private key (PEM)"
    GITHUB_WEBHOOK_SECRET  = "webhook secret"
  }
}

# gantry's own key: the stack's apply role may change the stack's keys, never this one.
resource "aws_kms_key" "this" {
  description             = "Encrypts ${var.name}'s GitHub App key and webhook secret"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.this.key_id
}

# Values are put with `aws secretsmanager put-secret-value` after the first apply, so they never
# appear in a plan or in the state.
resource "aws_secretsmanager_secret" "this" {
  for_each = local.secrets

  name                    = "${var.name}/${lower(replace(each.key, "_", "-"))}"
  description             = "gantry's GitHub ${each.value}."
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The execution role starts the task: pulls the image, writes logs, and is the only reader of the secrets.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "read_secrets" {
  statement {
    sid       = "ReadGantrySecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in aws_secretsmanager_secret.this : s.arn]
  }

  statement {
    sid       = "DecryptGantrySecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "read_secrets" {
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.read_secrets.json
}
