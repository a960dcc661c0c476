resource "aws_amplify_app" "this" {
  name         = var.name
  repository   = var.repository
  access_token = var.access_token
  platform     = "WEB"
  build_spec   = var.build_spec

  environment_variables = var.environment_variables

  # Client-side routes of the single-page app are served index.html; real files are served as they are.
  custom_rule {
    source = "</^[^.]+$|\\.(?!(css|gif|ico|jpg|jpeg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)([^.]+$)/>"
    target = "/index.html"
    status = "200"
  }

  tags = var.tags

  # Amplify only needs the token to connect the repository; a rotated token must not replace the app.
  lifecycle {
    ignore_changes = [access_token]
  }
}

resource "aws_amplify_branch" "main" {
  app_id            = aws_amplify_app.this.id
  branch_name       = var.branch_name
  stage             = "PRODUCTION"
  enable_auto_build = true

  tags = var.tags
}

resource "aws_amplify_domain_association" "this" {
  count = var.domain_name == null ? 0 : 1

  app_id                 = aws_amplify_app.this.id
  domain_name            = var.domain_name
  enable_auto_sub_domain = false
  wait_for_verification  = var.wait_for_verification

  sub_domain {
    branch_name = aws_amplify_branch.main.branch_name
    prefix      = var.subdomain_prefix
  }
}
