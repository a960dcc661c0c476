output "app_id" {
  description = "ID of the Amplify app."
  value       = aws_amplify_app.this.id
}

output "default_domain" {
  description = "Amplify's own domain of the app (APPID.amplifyapp.com)."
  value       = aws_amplify_app.this.default_domain
}

output "branch_domain" {
  description = "Amplify's own domain of the production branch (BRANCH.APPID.amplifyapp.com), a valid app. CNAME target."
  value       = "${aws_amplify_branch.main.branch_name}.${aws_amplify_app.this.default_domain}"
}

output "custom_domain_dns_record" {
  description = "Record Amplify asks for on the custom subdomain (\"app CNAME xxxx.cloudfront.net\"), or null without a custom domain."
  value       = var.domain_name == null ? null : one([for s in aws_amplify_domain_association.this[0].sub_domain : s.dns_record])
}

output "certificate_verification_dns_record" {
  description = "Record Amplify needs to validate its certificate for the custom domain, or null without one."
  value       = var.domain_name == null ? null : aws_amplify_domain_association.this[0].certificate_verification_dns_record
}
