# gantry's own service: secrets, log group and the two roles of its task. The network side
# (target group, listener rule, security group, ECS service) is in service.tf.

data "aws_region" "current" {}

locals {
  secrets = {
    GITHUB_APP_PRIVATE_KEY = "App private key (PEM)"
    GITHUB_WEBHOOK_SECRET  = "webhook secret"
  }
}

# Values are put with `aws secretsmanager put-secret-value` after the first apply, so they never
# appear in a plan or in the state.
resource "aws_secretsmanager_secret" "this" {
  for_each = local.secrets

  name                    = "${var.name}/${lower(replace(each.key, "_", "-"))}"
  description             = "gantry's GitHub ${each.value}."
  kms_key_id              = var.kms_key_arn
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
    resources = [var.kms_key_arn]

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

# The task role is gantry's own identity at run time. It holds no AWS permission but assuming the
# three roles gantry works with (the web identity calls themselves are unsigned and need none).
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "assume_work_roles" {
  statement {
    sid       = "AssumeGantryRoles"
    actions   = ["sts:AssumeRole"]
    resources = var.assumable_role_arns
  }
}

resource "aws_iam_role_policy" "assume_work_roles" {
  name   = "assume-work-roles"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.assume_work_roles.json
}
