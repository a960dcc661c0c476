locals {
  state_bucket_arn = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  lock_table_arn   = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.lock_table_name}"
  state_object_arn = "${local.state_bucket_arn}/${var.state_key}"

  # The S3 backend's items in the lock table: the lock itself, and the digest of the state that
  # only a write of the state updates.
  lock_item   = "${var.state_bucket_name}/${var.state_key}"
  digest_item = "${local.lock_item}-md5"

  # What Terraform's refresh reads for the stack's resource types. Listed one by one: no "Service:*"
  # or "Describe*" patterns, so a new AWS action is never granted by accident.
  read_actions = [
    "acm:DescribeCertificate", "acm:GetCertificate", "acm:ListCertificates", "acm:ListTagsForCertificate",
    "amplify:GetApp", "amplify:GetBranch", "amplify:GetDomainAssociation", "amplify:ListApps",
    "amplify:ListBranches", "amplify:ListDomainAssociations", "amplify:ListTagsForResource",
    "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:ListTagsForResource",
    "cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard", "cloudwatch:ListTagsForResource",
    "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    "ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute", "ec2:DescribeAvailabilityZones",
    "ec2:DescribeFlowLogs", "ec2:DescribeInternetGateways", "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls", "ec2:DescribeNetworkInterfaces", "ec2:DescribePrefixLists",
    "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets", "ec2:DescribeTags", "ec2:DescribeVpcAttribute", "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcEndpointServices", "ec2:DescribeVpcs",
    "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
    "ecs:DescribeClusters", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:ListClusters",
    "ecs:ListServices", "ecs:ListTagsForResource", "ecs:ListTaskDefinitions",
    "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole",
    "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    "iam:ListOpenIDConnectProviders", "iam:ListPolicyVersions", "iam:ListRolePolicies", "iam:ListRoleTags",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
    "route53:GetChange", "route53:GetHostedZone", "route53:ListHostedZones", "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
    "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets",
    "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "wafv2:GetLoggingConfiguration", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
    "wafv2:ListResourcesForWebACL", "wafv2:ListTagsForResource", "wafv2:ListWebACLs",
  ]
}

# The plan role reads the stack and its state, and takes the state lock (the DynamoDB lock item,
# or the .tflock object of Terraform >= 1.10's use_lockfile); it writes nothing else: not the
# state, not the state's digest, no resource.
#tfsec:ignore:aws-iam-no-policy-wildcards Describe/List/Get calls above mostly support no resource-level scoping; every action is named
data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ReadStack"
    actions   = local.read_actions
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region, "us-east-1"]
    }
  }

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = [local.state_object_arn, "${local.state_object_arn}.tflock"]
  }

  statement {
    sid       = "LockObject"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_object_arn}.tflock"]
  }

  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.state_kms_key_arn]
  }

  statement {
    sid       = "ReadLockAndDigest"
    actions   = ["dynamodb:GetItem"]
    resources = [local.lock_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [local.lock_item, local.digest_item]
    }
  }

  statement {
    sid       = "LockItem"
    actions   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = [local.lock_table_arn]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = [local.lock_item]
    }
  }
}
