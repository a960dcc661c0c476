terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # The state bucket and lock table are created once by a bootstrap script, outside
  # this configuration.
  backend "s3" {
    bucket         = "classla-terraform-state"
    key            = "production/terraform.tfstate"
    region         = "us-east-1"
    dynamodb_table = "classla-terraform-locks"
    encrypt        = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "classla"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
