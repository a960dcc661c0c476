variable "name" {
  description = "Name of the cluster, service, task family and container, e.g. \"classla-backend\"."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster; null uses name."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "VPC of the service's security group."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (no public IP is assigned)."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the ALB, the only source admitted on container_port."
  type        = string
}

variable "target_group_arn" {
  description = "ALB target group the service registers its tasks in."
  type        = string
}

variable "container_image" {
  description = "Image the container runs, e.g. \"ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/classla-backend:3f2c1ab\"."
  type        = string
}

variable "container_port" {
  description = "Port the container listens on."
  type        = number
  default     = 3000
}

variable "cpu" {
  description = "Task CPU units (512 = 0.5 vCPU)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB (1024 = 1 GB)."
  type        = number
  default     = 1024
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64; must match the image."
  type        = string
  default     = "X86_64"
}

variable "environment" {
  description = "Plain environment variables of the container. Never put credentials here: use secrets."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables filled from Secrets Manager at task start: NAME => secret ARN, optionally with a JSON key (ARN:KEY::). The execution role may read exactly these secrets."
  type        = map(string)
  default     = {}
}

variable "secrets_kms_key_arns" {
  description = "Customer managed KMS keys the secrets are encrypted with; the execution role gets kms:Decrypt on them only."
  type        = list(string)
  default     = []
}

variable "egress_ports" {
  description = "TCP ports the tasks may reach outside the VPC (Supabase, WorkOS and ECR over HTTPS)."
  type        = list(number)
  default     = [443]
}

variable "log_retention_days" {
  description = "Days the container log group keeps its events."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key for the container log group. Null keeps CloudWatch Logs' default server-side encryption."
  type        = string
  default     = null
}

variable "min_count" {
  description = "Fewest tasks autoscaling keeps running."
  type        = number
  default     = 1
}

variable "max_count" {
  description = "Most tasks autoscaling may run."
  type        = number
  default     = 2
}

variable "cpu_target" {
  description = "Average CPU utilisation (%) autoscaling aims for."
  type        = number
  default     = 70
}

variable "memory_target" {
  description = "Average memory utilisation (%) autoscaling aims for."
  type        = number
  default     = 80
}

variable "scale_in_cooldown" {
  description = "Seconds after a scale-in before another scale-in."
  type        = number
  default     = 300
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before another scale-out."
  type        = number
  default     = 60
}

variable "health_check_grace_period" {
  description = "Seconds a new task has before failing ALB health checks count against it."
  type        = number
  default     = 60
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the task and execution roles: github_oidc's boundary_arn, which the apply role requires on every role it creates."
  type        = string
}

variable "task_role_policy_arns" {
  description = "IAM policies attached to the task role (what the application itself may call in AWS, e.g. its S3 bucket)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
