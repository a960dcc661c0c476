variable "name" {
  description = "Name of the Amplify app, e.g. \"classla-frontend\"."
  type        = string
}

variable "repository" {
  description = "HTTPS URL of the frontend's GitHub repository."
  type        = string
}

variable "access_token" {
  description = "GitHub token Amplify uses once to install its webhook and deploy key. Keep it out of tfvars files: pass it as TF_VAR_access_token."
  type        = string
  sensitive   = true
  default     = null
}

variable "branch_name" {
  description = "Branch built and served as production."
  type        = string
  default     = "main"
}

variable "build_spec" {
  description = "amplify.yml build specification; the default builds a Vite app with npm into dist/."
  type        = string
  default     = <<-YAML
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
}

variable "environment_variables" {
  description = "Build-time variables (e.g. VITE_API_URL). They end up in the public bundle: never put secrets here."
  type        = map(string)
  default     = {}
}

variable "domain_name" {
  description = "Domain the custom subdomain is attached under, e.g. \"classla.org\". Null attaches no custom domain."
  type        = string
  default     = null
}

variable "subdomain_prefix" {
  description = "Prefix of the custom domain served by the branch (\"app\" gives app.DOMAIN)."
  type        = string
  default     = "app"
}

variable "wait_for_verification" {
  description = "Wait until Amplify has verified the custom domain (needs its DNS records in place)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
