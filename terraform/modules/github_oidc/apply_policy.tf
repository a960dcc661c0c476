locals {
  arn_prefix = "arn:${local.partition}"
  in_region  = "${local.region}:${local.account_id}"

  # Each statement names its actions one by one and limits them to this account and region (IAM and
  # Route53 are global: limited to the managed name prefixes and the one hosted zone).
  apply_statements = {
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
    Secrets = {
      actions = [
        "secretsmanager:CancelRotateSecret", "secretsmanager:CreateSecret", "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy", "secretsmanager:RotateSecret",
        "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:UpdateSecret",
        "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:EnableKeyRotation", "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
      ]
      resources = [
        "${local.arn_prefix}:secretsmanager:${local.in_region}:secret:*",
        "${local.arn_prefix}:kms:${local.in_region}:key/*",
        "${local.arn_prefix}:kms:${local.in_region}:alias/*",
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
    Iam = {
      actions = [
        "iam:AttachRolePolicy", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole",
        "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:DeleteRole", "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy", "iam:PassRole", "iam:PutRolePolicy", "iam:TagPolicy", "iam:TagRole",
        "iam:UntagPolicy", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
        "iam:UpdateRoleDescription",
      ]
      resources = flatten([for p in var.managed_name_prefixes : [
        "${local.arn_prefix}:iam::${local.account_id}:role/${p}*",
        "${local.arn_prefix}:iam::${local.account_id}:policy/${p}*",
      ]])
    }
    OidcProvider = {
      actions = [
        "iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider",
        "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider",
        "iam:UpdateOpenIDConnectProviderThumbprint",
      ]
      resources = ["${local.arn_prefix}:iam::${local.account_id}:oidc-provider/${local.issuer}"]
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

# The apply role can do what the plan role does, and create, change and delete the stack's resources.
#tfsec:ignore:aws-iam-no-policy-wildcards resources are patterns within this account and region (no action is a wildcard); creation calls name no existing ARN
data "aws_iam_policy_document" "apply" {
  source_policy_documents = [data.aws_iam_policy_document.plan.json]

  dynamic "statement" {
    for_each = local.apply_statements

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
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
