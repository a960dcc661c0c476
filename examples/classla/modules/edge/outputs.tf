output "alb_security_group_id" {
  value = aws_security_group.alb.id
}

output "alb_dns_name" {
  value = aws_lb.api.dns_name
}

output "target_group_arn" {
  value = aws_lb_target_group.api.arn

  # ECS refuses a target group that no listener uses yet.
  depends_on = [aws_lb_listener.https]
}

output "web_acl_arn" {
  value = aws_wafv2_web_acl.api.arn
}
