output "api_fqdn" {
  description = "Fully qualified name of the API (api.DOMAIN)."
  value       = aws_route53_record.api.fqdn
}

output "app_fqdn" {
  description = "Fully qualified name of the frontend (app.DOMAIN), whether this module or Amplify wrote its record."
  value       = local.app_fqdn
}
