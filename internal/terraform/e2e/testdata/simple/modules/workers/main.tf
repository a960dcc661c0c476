variable "replicas" {
  type = number
}

variable "queues" {
  type = set(string)
}

resource "terraform_data" "replica" {
  count = var.replicas
  input = "replica-${count.index}"
}

resource "terraform_data" "queue" {
  for_each = var.queues
  input    = each.key
}

output "replica_ids" {
  value = terraform_data.replica[*].id
}
