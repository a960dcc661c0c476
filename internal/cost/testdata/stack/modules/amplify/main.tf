resource "aws_amplify_app" "frontend" {
  name         = var.name
  repository   = var.repository
  access_token = var.access_token
  platform     = "WEB"

  build_spec = <<-YAML
    version: 1
    frontend:
      phases:
        preBuild:
          commands:
            - npm ci
        build:
          commands:
            - npm run build
      artifacts:
        baseDirectory: dist
        files:
          - '**/*'
      cache:
        paths:
          - node_modules/**/*
  YAML

  # Single-page app: every path that is not a file serves index.html.
  custom_rule {
    source = "</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)([^.]+$)/>"
    status = "200"
    target = "/index.html"
  }

  environment_variables = {
    VITE_API_URL = var.api_url
  }
}

resource "aws_amplify_branch" "main" {
  app_id      = aws_amplify_app.frontend.id
  branch_name = var.branch
  stage       = "PRODUCTION"
  framework   = "React"

  enable_auto_build = true
}
