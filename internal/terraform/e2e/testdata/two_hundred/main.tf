# 200 resources for the plan benchmarks; local state, so the figures measure Terraform and the runner,
# not a backend.
resource "terraform_data" "item" {
  count = 200
  input = "item-${count.index}"
}

output "count" {
  value = length(terraform_data.item)
}
