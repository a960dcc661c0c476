terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: bucket, key and region come from -backend-config (backend.hcl locally,
  # backend_config in .gantry.yaml for gantry). See backend.hcl.example.
  backend "s3" {
    encrypt        = true
    dynamodb_table = "classla-terraform-locks"
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "classla"
      Environment = local.environment
      ManagedBy   = "terraform"
    }
  }
}
