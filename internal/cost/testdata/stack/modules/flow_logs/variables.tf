variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "retention_days" {
  description = "How long flow log records are kept."
  type        = number
}
