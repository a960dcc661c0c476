variable "region" {
  description = "AWS region everything runs in."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Environment name, used in resource names and tags."
  type        = string
  default     = "production"
}

variable "domain_name" {
  type    = string
  default = "classla.org"
}

variable "backend_image" {
  description = "Image the backend service runs."
  type        = string
  default     = "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend:latest"
}

variable "frontend_repository" {
  type    = string
  default = "https://github.com/classla/classla-frontend"
}

variable "github_access_token" {
  description = "Token Amplify uses to connect to the frontend repository."
  type        = string
  sensitive   = true
}
