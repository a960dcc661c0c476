output "app_id" {
  value = aws_amplify_app.frontend.id
}

output "branch_domain" {
  description = "Where the branch is served: BRANCH.APP_DEFAULT_DOMAIN."
  value       = "${aws_amplify_branch.main.branch_name}.${aws_amplify_app.frontend.default_domain}"
}
