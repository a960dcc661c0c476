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

variable "certificate_arn" {
  description = "ACM certificate for api.classla.org (requested outside Terraform for now)."
  type        = string
  default     = "arn:aws:acm:us-east-1:111111111111:certificate/6f1c2a9e-3d4b-4c8a-9f2e-7b5d1e0a4c3f"
}

variable "backend_image" {
  description = "Image the backend service runs; gantry pins deployments to a digest."
  type        = string
  default     = "111111111111.dkr.ecr.us-east-1.amazonaws.com/classla-backend:latest"
}
