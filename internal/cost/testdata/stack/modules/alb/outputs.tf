output "security_group_id" {
  value = aws_security_group.alb.id
}

output "dns_name" {
  value = aws_lb.api.dns_name
}

output "zone_id" {
  description = "Hosted zone of the load balancer, for Route53 alias records."
  value       = aws_lb.api.zone_id
}

output "target_group_arn" {
  value = aws_lb_target_group.api.arn

  # ECS refuses a target group that no listener uses yet.
  depends_on = [aws_lb_listener.https]
}
