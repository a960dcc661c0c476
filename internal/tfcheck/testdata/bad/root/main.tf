module "network" {
  source = "../modules/net"
  # cidr (required) is missing, and zones is not a variable of the module.
  zones = 3
}

module "again" {
  source = "../modules/net"
  cidr   = "10.0.0.0/16"
  azs    = 2
}

output "vpc" {
  value = module.network.vpc_id
}

output "subnets" {
  value = module.again.subnet_ids
}
