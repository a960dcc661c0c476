# GitHub's OIDC provider and the three roles gantry assumes by web identity: plan (read-only),
# apply (changes the stack, within a permissions boundary) and deploy (pushes one image and rolls
# out one ECS service), and optionally a fourth, frontend (releases one Amplify branch). Each role trusts its own GitHub environment and nothing else, so no token
# meant for one phase is good for another. With gantry_issuer_url, each role also trusts the
# tokens gantry signs itself (GANTRY_WORKLOAD_IDENTITY=on, SPEC §10), again for its own phase's
# subjects only.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  issuer       = "token.actions.githubusercontent.com"
  account_id   = data.aws_caller_identity.current.account_id
  region       = data.aws_region.current.name
  partition    = data.aws_partition.current.partition
  iam_arn      = "arn:${local.partition}:iam::${local.account_id}"
  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  # Names, not resource references: the boundary and the guardrails name these roles and
  # policies, and the roles carry the boundary, so referring to the resources would be a cycle.
  role_names = merge(
    {
      plan   = "${var.name_prefix}-plan-${var.environment}"
      apply  = "${var.name_prefix}-terraform-${var.environment}"
      deploy = "${var.name_prefix}-deploy-${var.service_name}"
    },
    local.frontend_enabled ? { frontend = "${var.name_prefix}-deploy-${var.frontend_service_name}" } : {},
  )
  # The frontend role exists when its Amplify app is named; create_frontend_role says so
  # up front when the app ID is only known after the apply (an app created in the same root),
  # because which roles exist must be known when Terraform plans.
  frontend_enabled = var.create_frontend_role != null ? var.create_frontend_role : var.amplify_app_id != null

  boundary_name     = "${var.name_prefix}-boundary-${var.environment}"
  read_policy_name  = "${var.name_prefix}-read-${var.environment}"
  apply_policy_name = "${var.name_prefix}-apply-${var.environment}"
  boundary_arn      = "${local.iam_arn}:policy/${local.boundary_name}"

  # The GitHub environment each phase runs in (SPEC §7): gantry-plan for plans of pull-request
  # code, the project's name for merge-time plans and applies, the service's name for deploys
  # (the frontend service's name for the frontend's releases).
  environments = merge(
    {
      plan   = var.plan_environment
      apply  = coalesce(var.apply_environment, var.environment)
      deploy = coalesce(var.deploy_environment, var.service_name)
    },
    local.frontend_enabled ? { frontend = coalesce(var.frontend_environment, var.frontend_service_name) } : {},
  )

  # One set of subjects per role, none shared: a token of one phase's environment never assumes
  # another phase's role. pull_request is the subject of a workflow run for a pull request of
  # this repository without an environment; it may only ever reach the read-only role.
  subjects = merge(
    {
      plan = concat(
        ["repo:${var.github_repository}:environment:${local.environments.plan}"],
        var.plan_trusts_pull_requests ? ["repo:${var.github_repository}:pull_request"] : [],
      )
      apply  = ["repo:${var.github_repository}:environment:${local.environments.apply}"]
      deploy = ["repo:${var.github_repository}:environment:${local.environments.deploy}"]
    },
    local.frontend_enabled ? { frontend = ["repo:${var.github_repository}:environment:${local.environments.frontend}"] } : {},
  )

  # gantry's own issuer. Its tokens' sub is set by gantry from the job's kind, never by the pull
  # request: repo:OWNER/REPO:project:NAME:phase:plan for plans of pull-request code,
  # ...:phase:apply for merge-time plans and applies, repo:OWNER/REPO:service:NAME:phase:deploy
  # for deploys and rollbacks (the frontend role: the frontend service's phase:deploy subject
  # only). IAM names a provider's condition keys by its URL without https://.
  gantry_trusted      = var.gantry_issuer_url != null
  gantry_issuer       = local.gantry_trusted ? trimprefix(var.gantry_issuer_url, "https://") : null
  gantry_provider_arn = local.gantry_trusted ? (var.create_gantry_oidc_provider ? aws_iam_openid_connect_provider.gantry[0].arn : var.gantry_oidc_provider_arn) : null
  gantry_projects     = var.gantry_projects != null ? var.gantry_projects : [local.environments.apply]
  gantry_services     = var.gantry_services != null ? var.gantry_services : [local.environments.deploy]
  gantry_subjects = merge(
    {
      plan   = [for p in local.gantry_projects : "repo:${var.github_repository}:project:${p}:phase:plan"]
      apply  = [for p in local.gantry_projects : "repo:${var.github_repository}:project:${p}:phase:apply"]
      deploy = [for s in local.gantry_services : "repo:${var.github_repository}:service:${s}:phase:deploy"]
    },
    local.frontend_enabled ? { frontend = ["repo:${var.github_repository}:service:${var.frontend_service_name}:phase:deploy"] } : {},
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.issuer}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.thumbprint_list
  tags            = var.tags
}

# One provider per URL in an account: the environment applied first creates gantry's, the others
# pass its ARN (create_gantry_oidc_provider = false).
resource "aws_iam_openid_connect_provider" "gantry" {
  count = local.gantry_trusted && var.create_gantry_oidc_provider ? 1 : 0

  url             = var.gantry_issuer_url
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.gantry_thumbprint_list
  tags            = var.tags

  lifecycle {
    precondition {
      condition     = var.gantry_thumbprint_list != null
      error_message = "Set gantry_thumbprint_list: the AWS provider versions this module allows require a thumbprint to create an OIDC provider (see the variable's description)."
    }
  }
}

# StringEquals on both claims: a token of another repository, branch or environment never matches.
data "aws_iam_policy_document" "trust" {
  for_each = local.subjects

  statement {
    sid     = "GitHubOIDC"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = each.value
    }
  }

  # The same pins for gantry's tokens: this role's phase's subjects only, so a token gantry signs
  # for a pull request's plan (phase:plan) is refused by the apply and deploy roles.
  dynamic "statement" {
    for_each = local.gantry_trusted ? [local.gantry_subjects[each.key]] : []

    content {
      sid     = "GantryOIDC"
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [local.gantry_provider_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "${local.gantry_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "${local.gantry_issuer}:sub"
        values   = statement.value
      }
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = local.role_names.plan
  description          = "Terraform plans of ${var.environment} by gantry (read-only)."
  assume_role_policy   = data.aws_iam_policy_document.trust["plan"].json
  permissions_boundary = aws_iam_policy.boundary.arn
  max_session_duration = 3600
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = var.create_oidc_provider || var.oidc_provider_arn != null
      error_message = "Set oidc_provider_arn when create_oidc_provider is false."
    }
    precondition {
      condition     = !local.gantry_trusted || var.create_gantry_oidc_provider || var.gantry_oidc_provider_arn != null
      error_message = "Set gantry_oidc_provider_arn when create_gantry_oidc_provider is false."
    }
    precondition {
      condition     = var.gantry_oidc_provider_arn == null || endswith(coalesce(var.gantry_oidc_provider_arn, "-"), ":oidc-provider/${coalesce(local.gantry_issuer, "-")}")
      error_message = "gantry_oidc_provider_arn must be the provider of gantry_issuer_url (arn:...:oidc-provider/HOST[/PATH])."
    }
    precondition {
      condition     = length(distinct(values(local.environments))) == length(local.environments)
      error_message = "plan_environment, apply_environment, deploy_environment (and frontend_environment) must be different GitHub environments: a role must not trust another phase's or service's tokens."
    }
  }
}

resource "aws_iam_role" "apply" {
  name                 = local.role_names.apply
  description          = "Terraform applies of ${var.environment} by gantry."
  assume_role_policy   = data.aws_iam_policy_document.trust["apply"].json
  permissions_boundary = aws_iam_policy.boundary.arn
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role" "deploy" {
  name                 = local.role_names.deploy
  description          = "Image push and ECS rollout of ${var.ecs_service_name} by gantry."
  assume_role_policy   = data.aws_iam_policy_document.trust["deploy"].json
  permissions_boundary = aws_iam_policy.boundary.arn
  max_session_duration = 3600
  tags                 = var.tags
}

# What a plan reads, as a managed policy: the plan role and the apply role both need it, and the
# apply role's own statements would not fit beside it in IAM's 10,240 characters of inline
# policy (nor do they fit alone: see apply_policy.tf).
resource "aws_iam_policy" "read" {
  name        = local.read_policy_name
  description = "Reads the ${var.environment} stack and its state, and takes the state lock."
  policy      = data.aws_iam_policy_document.plan.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "plan_read" {
  role       = aws_iam_role.plan.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy_attachment" "apply_read" {
  role       = aws_iam_role.apply.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_policy" "apply" {
  name        = local.apply_policy_name
  description = "Creates, changes and deletes the ${var.environment} stack's resources."
  policy      = data.aws_iam_policy_document.resources.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "apply_resources" {
  role       = aws_iam_role.apply.name
  policy_arn = aws_iam_policy.apply.arn
}

resource "aws_iam_role_policy" "apply" {
  name   = "apply"
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

# The frontend service's role: releases of one Amplify branch (SPEC §6, "The frontend on
# Amplify"), trusting the frontend's GitHub environment and gantry's subject of that service.
resource "aws_iam_role" "frontend" {
  count = local.frontend_enabled ? 1 : 0

  name                 = local.role_names.frontend
  description          = "Amplify releases of ${coalesce(var.amplify_app_id, "-")}/${var.amplify_branch} by gantry."
  assume_role_policy   = data.aws_iam_policy_document.trust["frontend"].json
  permissions_boundary = aws_iam_policy.boundary.arn
  max_session_duration = 3600
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = var.amplify_app_id != null
      error_message = "Set amplify_app_id when create_frontend_role is true."
    }
    precondition {
      condition     = var.frontend_service_name != var.service_name && !contains(local.gantry_services, var.frontend_service_name)
      error_message = "frontend_service_name must differ from service_name and from every name of gantry_services: the frontend role must not share a role name or a subject with the deploy role."
    }
  }
}

resource "aws_iam_role_policy" "frontend" {
  count = local.frontend_enabled ? 1 : 0

  name   = "frontend"
  role   = aws_iam_role.frontend[0].id
  policy = data.aws_iam_policy_document.frontend[0].json
}
