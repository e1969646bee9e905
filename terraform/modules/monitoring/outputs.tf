output "error_rate_alarm_name" {
  description = "Name of the processor's error-rate alarm."
  value       = aws_cloudwatch_metric_alarm.error_rate.alarm_name
}

output "alarm_arns" {
  description = "ARN of every alarm, by purpose."
  value       = local.alarm_arns
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
