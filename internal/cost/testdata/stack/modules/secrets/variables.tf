variable "names" {
  description = "Secrets Manager secret names."
  type        = list(string)
}
