variable "name" {
  description = "Prefix of every resource name."
  type        = string
}

variable "region" {
  description = "Region the log driver writes to."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "private_subnet_ids" {
  description = "Tasks run here, without public addresses."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Only the load balancer may reach the tasks."
  type        = string
}

variable "target_group_arn" {
  type = string
}

variable "image" {
  type = string
}

variable "container_port" {
  type    = number
  default = 3000
}

variable "cpu" {
  description = "Task CPU units (512 = 0.5 vCPU)."
  type        = number
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
}

variable "min_tasks" {
  type    = number
  default = 1
}

variable "max_tasks" {
  type    = number
  default = 2
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "secret_arns" {
  description = "Secrets the tasks read at start: Secrets Manager ARN by secret name."
  type        = map(string)
}
