variable "name" {
  type = string
}

variable "repository" {
  description = "GitHub repository of the frontend; every push to the branch deploys."
  type        = string
}

variable "access_token" {
  description = "GitHub token Amplify uses to install its webhook and read the repository."
  type        = string
  sensitive   = true
}

variable "branch" {
  type    = string
  default = "main"
}

variable "api_url" {
  description = "Backend URL baked into the build."
  type        = string
}
