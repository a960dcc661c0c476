variable "name" {
  description = "Name prefix of the topic, key alias and alarms, e.g. \"classla-production\"."
  type        = string
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (it must confirm the subscription). Null subscribes nobody."
  type        = string
  default     = null
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB (the alb module's alb_arn_suffix output)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (the alb module's target_group_arn_suffix output)."
  type        = string
}

variable "ecs_cluster_name" {
  description = "ECS cluster of the service."
  type        = string
}

variable "ecs_service_name" {
  description = "ECS service to watch."
  type        = string
}

variable "alb_5xx_threshold" {
  description = "5xx responses (from the ALB itself or from the targets) in 5 minutes that raise the alarm."
  type        = number
  default     = 10
}

variable "ecs_cpu_threshold" {
  description = "Average CPU utilisation (%) of the service that raises the alarm; above the autoscaling target, so it fires when scaling is not enough."
  type        = number
  default     = 90
}

variable "ecs_memory_threshold" {
  description = "Average memory utilisation (%) of the service that raises the alarm."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
