locals {
  arn_prefix = "arn:${local.partition}"
  in_region  = "${local.region}:${local.account_id}"

  managed_roles    = [for p in var.managed_name_prefixes : "${local.iam_arn}:role/${p}*"]
  managed_policies = [for p in var.managed_name_prefixes : "${local.iam_arn}:policy/${p}*"]

  # The stack's resources, in a managed policy of their own: with IAM, secrets, keys and the
  # state beside them, the apply role's policy would exceed IAM's 10,240 characters of inline
  # policy. Each statement names its actions one by one and limits them to this account and
  # region (Route53 is global: limited to the one hosted zone).
  resource_statements = {
    Network = {
      actions = [
        "ec2:AllocateAddress", "ec2:AssociateRouteTable", "ec2:AttachInternetGateway",
        "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateFlowLogs",
        "ec2:CreateInternetGateway", "ec2:CreateNatGateway", "ec2:CreateRoute", "ec2:CreateRouteTable",
        "ec2:CreateSecurityGroup", "ec2:CreateSubnet", "ec2:CreateTags", "ec2:CreateVpc",
        "ec2:CreateVpcEndpoint", "ec2:DeleteFlowLogs", "ec2:DeleteInternetGateway", "ec2:DeleteNatGateway",
        "ec2:DeleteRoute", "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet",
        "ec2:DeleteTags", "ec2:DeleteVpc", "ec2:DeleteVpcEndpoints", "ec2:DetachInternetGateway",
        "ec2:DisassociateAddress", "ec2:DisassociateRouteTable", "ec2:ModifySubnetAttribute",
        "ec2:ModifyVpcAttribute", "ec2:ModifyVpcEndpoint", "ec2:ReleaseAddress", "ec2:ReplaceRoute",
        "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
      ]
      resources = ["${local.arn_prefix}:ec2:${local.in_region}:*"]
    }
    LoadBalancer = {
      actions = [
        "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateRule", "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyRule", "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RemoveListenerCertificates",
        "elasticloadbalancing:RemoveTags", "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets", "elasticloadbalancing:SetWebAcl",
      ]
      resources = ["${local.arn_prefix}:elasticloadbalancing:${local.in_region}:*"]
    }
    Waf = {
      actions = [
        "wafv2:AssociateWebACL", "wafv2:CreateWebACL", "wafv2:DeleteLoggingConfiguration", "wafv2:DeleteWebACL",
        "wafv2:DisassociateWebACL", "wafv2:PutLoggingConfiguration", "wafv2:TagResource",
        "wafv2:UntagResource", "wafv2:UpdateWebACL",
      ]
      resources = [
        "${local.arn_prefix}:wafv2:${local.in_region}:regional/*",
        "${local.arn_prefix}:elasticloadbalancing:${local.in_region}:loadbalancer/app/*",
      ]
    }
    Containers = {
      actions = [
        "ecs:CreateCluster", "ecs:CreateService", "ecs:DeleteCluster", "ecs:DeleteService",
        "ecs:DeregisterTaskDefinition", "ecs:PutClusterCapacityProviders", "ecs:RegisterTaskDefinition",
        "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateCluster", "ecs:UpdateClusterSettings",
        "ecs:UpdateService",
        "ecr:CreateRepository", "ecr:DeleteLifecyclePolicy", "ecr:DeleteRepository",
        "ecr:DeleteRepositoryPolicy", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability",
        "ecr:PutLifecyclePolicy", "ecr:SetRepositoryPolicy", "ecr:TagResource", "ecr:UntagResource",
        "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
      ]
      resources = [
        "${local.arn_prefix}:ecs:${local.in_region}:*",
        "${local.arn_prefix}:ecr:${local.in_region}:repository/*",
        "${local.arn_prefix}:application-autoscaling:${local.in_region}:scalable-target/*",
      ]
    }
    LogsAndAlarms = {
      actions = [
        "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey",
        "logs:DisassociateKmsKey", "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource",
        "logs:UntagLogGroup", "logs:UntagResource",
        "cloudwatch:DeleteAlarms", "cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard",
        "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
        "sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource",
        "sns:Unsubscribe", "sns:UntagResource",
      ]
      resources = [
        "${local.arn_prefix}:logs:${local.in_region}:log-group:*",
        "${local.arn_prefix}:cloudwatch:${local.in_region}:alarm:*",
        "${local.arn_prefix}:cloudwatch::${local.account_id}:dashboard/*",
        "${local.arn_prefix}:sns:${local.in_region}:*",
      ]
    }
    EdgeAndFrontend = {
      actions = [
        "acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:RemoveTagsFromCertificate",
        "amplify:CreateApp", "amplify:CreateBranch", "amplify:CreateDomainAssociation", "amplify:DeleteApp",
        "amplify:DeleteBranch", "amplify:DeleteDomainAssociation", "amplify:TagResource",
        "amplify:UntagResource", "amplify:UpdateApp", "amplify:UpdateBranch", "amplify:UpdateDomainAssociation",
      ]
      resources = [
        "${local.arn_prefix}:acm:${local.in_region}:certificate/*",
        "${local.arn_prefix}:amplify:${local.in_region}:apps/*",
      ]
    }
    Dns = {
      actions   = ["route53:ChangeResourceRecordSets", "route53:ChangeTagsForResource"]
      resources = ["${local.arn_prefix}:route53:::hostedzone/${var.hosted_zone_id}"]
    }
    ServiceLinkedRoles = {
      actions = ["iam:CreateServiceLinkedRole"]
      resources = [
        "${local.arn_prefix}:iam::${local.account_id}:role/aws-service-role/ecs.amazonaws.com/*",
        "${local.arn_prefix}:iam::${local.account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*",
        "${local.arn_prefix}:iam::${local.account_id}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*",
      ]
    }
  }
}

#tfsec:ignore:aws-iam-no-policy-wildcards resources are patterns within this account and region (no action is a wildcard); creation calls name no existing ARN
data "aws_iam_policy_document" "resources" {
  dynamic "statement" {
    for_each = local.resource_statements

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

# The apply role reads what the plan role reads and changes the stack's resources (both managed
# policies are attached to it); here it writes the state and manages the stack's IAM, secrets and
# keys, each bounded by a condition or a list, under the guardrails (boundary.tf), which it may
# never change.
#tfsec:ignore:aws-iam-no-policy-wildcards resources are name patterns within this account and region (no action is a wildcard); creation calls name no existing ARN
data "aws_iam_policy_document" "apply" {
  source_policy_documents = [data.aws_iam_policy_document.guardrails.json]

  # Roles and policies named with a managed prefix. Creating a role, attaching a policy and
  # passing a role are separate statements below, each with the condition that bounds it.
  statement {
    sid = "Iam"
    actions = [
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
      "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:TagPolicy",
      "iam:TagRole", "iam:UntagPolicy", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = concat(local.managed_roles, local.managed_policies)
  }

  # Secrets and keys of the stack; their policies and grants are separate statements below,
  # limited to the stack's own secrets and keys. The guardrails deny gantry's and the state's.
  statement {
    sid = "SecretsAndKeys"
    actions = [
      "secretsmanager:CancelRotateSecret", "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret",
      "secretsmanager:RotateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource",
      "secretsmanager:UpdateSecret",
      "kms:CreateAlias", "kms:DeleteAlias", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion",
      "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
    ]
    resources = concat(
      [for p in var.managed_secret_prefixes : "${local.arn_prefix}:secretsmanager:${local.in_region}:secret:${p}*"],
      ["${local.arn_prefix}:kms:${local.in_region}:key/*", "${local.arn_prefix}:kms:${local.in_region}:alias/*"],
    )
  }

  statement {
    sid       = "WriteState"
    actions   = ["s3:PutObject"]
    resources = [local.state_object_arn]
  }

  statement {
    sid       = "EncryptState"
    actions   = ["kms:Encrypt"]
    resources = [var.state_kms_key_arn]
  }

  statement {
    sid       = "WriteStateDigest"
    actions   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = [local.lock_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [local.digest_item]
    }
  }

  # A role the apply role creates carries the boundary, so it can never do what the apply role
  # may not; and the apply role cannot take the boundary off a role (the guardrails deny it).
  statement {
    sid       = "CreateBoundedRoles"
    actions   = ["iam:CreateRole", "iam:PutRolePermissionsBoundary"]
    resources = local.managed_roles

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  # Only the stack's own policies and the AWS managed policies its roles use: never, say,
  # AdministratorAccess.
  statement {
    sid       = "AttachKnownPolicies"
    actions   = ["iam:AttachRolePolicy"]
    resources = local.managed_roles

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values = concat(
        local.managed_policies,
        [for p in var.attachable_aws_policies : "arn:${local.partition}:iam::aws:policy/${p}"],
      )
    }
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = var.task_role_arns

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "PassFlowLogRole"
    actions   = ["iam:PassRole"]
    resources = [var.flow_log_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "StackSecretPolicies"
    actions   = ["secretsmanager:DeleteResourcePolicy", "secretsmanager:PutResourcePolicy"]
    resources = var.stack_secret_arns
  }

  statement {
    sid       = "StackKeyPolicies"
    actions   = ["kms:PutKeyPolicy"]
    resources = var.stack_kms_key_arns
  }

  # Grants that AWS services (ECR for its encrypted repository) make on the caller's behalf; never
  # a grant the caller could use itself.
  statement {
    sid       = "StackKeyGrants"
    actions   = ["kms:CreateGrant"]
    resources = var.stack_kms_key_arns

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # These create calls take no resource ARN, so they cannot be scoped by resource; the region condition
  # keeps them in this region.
  statement {
    sid = "CreateUnscoped"
    actions = [
      "acm:RequestCertificate", "kms:CreateKey", "route53:GetChange",
      "secretsmanager:GetRandomPassword", "wafv2:CheckCapacity",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region, "us-east-1"]
    }
  }
}
