output "alb_dns_name" {
  description = "Point api.classla.org here."
  value       = module.edge.alb_dns_name
}

output "ecr_repository_url" {
  description = "Where gantry pushes backend images."
  value       = module.backend.ecr_repository_url
}

output "web_acl_arn" {
  description = "WAF web ACL in front of the API."
  value       = module.edge.web_acl_arn
}
