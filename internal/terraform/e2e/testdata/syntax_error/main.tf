resource "terraform_data" "ok" {
  input = "fine"
}

# A block that Terraform does not know: the kind of typo a pull request brings.
resourse "terraform_data" "typo" {
  input = "broken"
}
