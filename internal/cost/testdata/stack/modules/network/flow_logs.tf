module "flow_logs" {
  source = "../flow_logs"
  count  = var.enable_flow_logs ? 1 : 0

  name           = var.name
  vpc_id         = aws_vpc.this.id
  retention_days = var.flow_log_retention_days
}
