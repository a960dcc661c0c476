output "alb_dns_name" {
  value = module.alb.dns_name
}

output "name_servers" {
  description = "Set these at the registrar of classla.org."
  value       = module.dns.name_servers
}

output "ecr_repository_url" {
  description = "Where backend images are pushed."
  value       = module.ecr.repository_url
}

output "amplify_app_id" {
  value = module.amplify.app_id
}
