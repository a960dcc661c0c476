output "certificate_arn" {
  description = "ARN of the certificate, available only once ACM has validated it (safe to give to a listener)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "domain_name" {
  description = "Primary name on the certificate."
  value       = aws_acm_certificate.this.domain_name
}
