variable "cidr" {
  type = string
}

variable "azs" {
  type    = number
  default = 2
}

output "vpc_id" {
  value = "vpc-123"
}
