output "environments" {
  description = "Names of the protected environments."
  value       = sort(keys(github_repository_environment.this))
}
