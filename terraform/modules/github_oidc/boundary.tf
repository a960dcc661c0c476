locals {
  # gantry's own identity: its roles (the frontend role too, when there is one), their policies
  # and boundary, the OIDC providers that let GitHub's and gantry's tokens in (whichever
  # environment created them), and the roles of gantry's own task. Nothing under the boundary
  # may change them; an administrator does.
  protected_iam_arns = concat(
    [for name in values(local.role_names) : "${local.iam_arn}:role/${name}"],
    [
      local.boundary_arn,
      "${local.iam_arn}:policy/${local.read_policy_name}",
      "${local.iam_arn}:policy/${local.apply_policy_name}",
      "${local.iam_arn}:oidc-provider/${local.issuer}",
    ],
    local.gantry_trusted ? ["${local.iam_arn}:oidc-provider/${local.gantry_issuer}"] : [],
    var.gantry_role_arns,
  )
}

# Denies in both the apply role's policy and the permissions boundary, so they hold for the apply
# role and for every role it creates: nothing it makes can do what it may not.
data "aws_iam_policy_document" "guardrails" {
  statement {
    sid         = "NoChangeToGantrysIdentity"
    effect      = "Deny"
    not_actions = ["iam:Get*", "iam:List*"]
    resources   = local.protected_iam_arns
  }

  # gantry's App key and webhook secret: neither read, nor re-keyed, nor opened up by a policy.
  statement {
    sid         = "NoUseOfGantrysSecrets"
    effect      = "Deny"
    not_actions = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecretVersionIds"]
    resources   = var.gantry_secret_arns
  }

  statement {
    sid         = "NoUseOfGantrysKey"
    effect      = "Deny"
    not_actions = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources   = [var.gantry_kms_key_arn]
  }

  # The state key encrypts and decrypts the state; its policy, grants and deletion are the
  # administrator's.
  statement {
    sid    = "NoChangeToTheStateKey"
    effect = "Deny"
    not_actions = [
      "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus", "kms:ListResourceTags",
    ]
    resources = [var.state_kms_key_arn]
  }

  statement {
    sid       = "NoUnboundedRolesOrUsers"
    effect    = "Deny"
    actions   = ["iam:CreateRole", "iam:CreateUser", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"]
    resources = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  statement {
    sid       = "KeepTheBoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
    resources = ["*"]
  }
}

# The boundary caps; it grants nothing by itself. It allows the services the stack uses (the
# roles' own policies say what within them; amplify always with the frontend role) and carries the
# guardrails.
#tfsec:ignore:aws-iam-no-policy-wildcards a boundary only caps what the roles' own policies grant; per-service wildcards keep it below IAM's size limit
data "aws_iam_policy_document" "boundary" {
  source_policy_documents = [data.aws_iam_policy_document.guardrails.json]

  statement {
    sid       = "StackServices"
    actions   = [for s in distinct(concat(var.boundary_services, local.frontend_enabled ? ["amplify"] : [])) : "${s}:*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of gantry's ${var.environment} roles and of every role the apply role creates."
  policy      = data.aws_iam_policy_document.boundary.json
  tags        = var.tags
}
