locals {
  ecs_service_arn = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/${var.ecs_cluster_name}/${var.ecs_service_name}"
  ecs_cluster_arn = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:cluster/${var.ecs_cluster_name}"
}

# The deploy role pushes to one repository and rolls out one service; it can pass only that service's
# two task roles, and only to ECS tasks.
#tfsec:ignore:aws-iam-no-policy-wildcards GetAuthorizationToken, RegisterTaskDefinition, DescribeTaskDefinition, ListTasks and DescribeTargetHealth support no resource-level scoping
data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImage"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "TaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid       = "RollOut"
    actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
    resources = [local.ecs_service_arn]
  }

  # After the rollout: the deployment's tasks (their IPs) and the load balancer's view of them.
  statement {
    sid       = "ListDeployedTasks"
    actions   = ["ecs:ListTasks"]
    resources = ["*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.ecs_cluster_arn]
    }
  }

  statement {
    sid       = "DescribeDeployedTasks"
    actions   = ["ecs:DescribeTasks"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${var.ecs_cluster_name}/*"]
  }

  statement {
    sid       = "TargetHealth"
    actions   = ["elasticloadbalancing:DescribeTargetHealth"]
    resources = ["*"]
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
}

locals {
  amplify_branch_arn = "arn:${local.partition}:amplify:${local.region}:${local.account_id}:apps/${coalesce(var.amplify_app_id, "-")}/branches/${var.amplify_branch}"
}

# The frontend role starts a release of one Amplify branch, watches it and lists the branch's
# jobs (to find the one Amplify's own auto-build started for the commit). Both resource forms,
# the branch and its jobs, for all three actions: ListJobs is authorised on the branch, StartJob
# and GetJob on a job.
data "aws_iam_policy_document" "frontend" {
  count = local.frontend_enabled ? 1 : 0

  statement {
    sid       = "ReleaseBranch"
    actions   = ["amplify:GetJob", "amplify:ListJobs", "amplify:StartJob"]
    resources = [local.amplify_branch_arn, "${local.amplify_branch_arn}/jobs/*"]
  }
}
