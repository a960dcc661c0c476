terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Local state on purpose: this configuration creates the bucket every other state lives in. Keep
  # terraform.tfstate of this folder safe (or migrate it into the bucket after the first apply).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "classla"
      ManagedBy = "terraform"
      Component = "terraform-state"
    }
  }
}
