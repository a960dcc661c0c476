# Built-in things only (terraform_data, a local module, outputs): no provider is downloaded.
terraform {
  backend "s3" {}
}

variable "environment" {
  type    = string
  default = "production"
}

resource "terraform_data" "network" {
  input = "10.0.0.0/16"
}

resource "terraform_data" "x" {
  input = {
    environment = var.environment
    network     = terraform_data.network.output
  }
}

module "workers" {
  source   = "./modules/workers"
  replicas = 2
  queues   = ["high", "low"]
}

output "network" {
  value = terraform_data.network.output
}

output "replicas" {
  value = module.workers.replica_ids
}
