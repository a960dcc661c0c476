locals {
  # GANTRY_ROLE_ALLOWLIST is OWNER/REPO-GLOB=ROLE-ARN-GLOB entries, comma-separated (SPEC §2).
  role_allowlist = join(",", flatten([
    for repo in sort(keys(var.allowed_roles)) : [for role in var.allowed_roles[repo] : "${repo}=${role}"]
  ]))

  # The local executor's jobs run in the task, which has no AWS identity but the tokens gantry
  # signs itself (SPEC §10): workload identity is on for it unless asked otherwise, which the
  # task definition's precondition refuses.
  workload_identity = var.workload_identity != null ? var.workload_identity : var.executor == "local"
  public_url        = coalesce(var.public_url, "https://${var.host_name}")

  environment = merge(
    var.environment_variables,
    {
      GITHUB_APP_ID         = var.github_app_id
      GANTRY_PUBLIC_URL     = local.public_url
      GANTRY_ADDR           = ":${var.container_port}"
      GANTRY_DATA_DIR       = "/var/lib/gantry"
      GANTRY_EXECUTOR       = var.executor
      GANTRY_ROLE_ALLOWLIST = local.role_allowlist
      GANTRY_SANDBOX_USER   = var.sandbox_user
    },
    local.workload_identity ? { GANTRY_WORKLOAD_IDENTITY = "on" } : {},
  )
}

resource "aws_security_group" "task" {
  name        = "${var.name}-task"
  description = "gantry tasks: webhooks from the ALB in, HTTPS to GitHub and AWS out."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.task.id
  description                  = "Webhooks and status page from the ALB"
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.task.id
  description       = "HTTPS to the GitHub API, AWS APIs and Terraform provider downloads"
  #tfsec:ignore:aws-ec2-no-public-egress-sgr GitHub's and AWS's API addresses are not a fixed set; only port 443 is open
  cidr_ipv4   = "0.0.0.0/0"
  ip_protocol = "tcp"
  from_port   = 443
  to_port     = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_gantry" {
  security_group_id            = var.alb_security_group_id
  description                  = "ALB to gantry tasks"
  referenced_security_group_id = aws_security_group.task.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_lb_target_group" "this" {
  name                 = substr(var.name, 0, 32)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  tags                 = var.tags

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

# Every path of host_name goes to gantry: the webhooks, the runner API and, with workload
# identity, /.well-known/openid-configuration and /.well-known/jwks.json, which AWS STS fetches
# from the internet to verify gantry's tokens. A rule narrowed to some paths must keep those two.
resource "aws_lb_listener_rule" "host" {
  listener_arn = var.listener_arn
  priority     = var.listener_rule_priority
  tags         = var.tags

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  condition {
    host_header {
      values = [var.host_name]
    }
  }
}

resource "aws_lb_listener_certificate" "host" {
  count = var.certificate_arn == null ? 0 : 1

  listener_arn    = var.listener_arn
  certificate_arn = var.certificate_arn
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  tags                     = var.tags

  container_definitions = jsonencode([{
    name         = "gantry"
    image        = var.image
    essential    = true
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    environment  = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    secrets      = [for k, s in aws_secretsmanager_secret.this : { name = k, valueFrom = s.arn }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "gantry"
      }
    }
  }])

  lifecycle {
    # On ECS there is no web identity token file: the local executor's jobs can get AWS
    # credentials only from a token gantry signs itself (SPEC §10).
    precondition {
      condition     = var.executor == "actions" || local.workload_identity
      error_message = "executor = \"local\" needs workload identity (leave workload_identity null or true): gantry's task has no AWS identity of its own."
    }
  }
}

# One task: the embedded SQLite database has a single writer, so a deployment stops the old task
# before starting the new one (webhooks in that gap are redelivered from GitHub's side by hand or retry).
resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  health_check_grace_period_seconds  = 30
  propagate_tags                     = "SERVICE"
  tags                               = var.tags

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "gantry"
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener_rule.host]
}

resource "aws_route53_record" "host" {
  count = var.zone_id == null ? 0 : 1

  zone_id = var.zone_id
  name    = var.host_name
  type    = "A"

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}
