output "environments" {
  description = "The protected environments."
  value       = module.github_environments.environments
}
