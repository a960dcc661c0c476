variable "name" {
  description = "Repository name."
  type        = string
}
