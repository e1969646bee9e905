output "error_rate_alarm_name" {
  description = "Name of the processor's error-rate alarm."
  value       = aws_cloudwatch_metric_alarm.error_rate.alarm_name
}

output "error_rate_alarm" {
  description = "The processor's error-rate alarm: its name, and the threshold (percent of invocations), period (seconds) and evaluation periods it fires on."
  value = {
    name               = aws_cloudwatch_metric_alarm.error_rate.alarm_name
    threshold_percent  = aws_cloudwatch_metric_alarm.error_rate.threshold
    period_seconds     = var.error_rate.period
    evaluation_periods = aws_cloudwatch_metric_alarm.error_rate.evaluation_periods
  }
}

output "alarm_arns" {
  description = "ARN of every alarm, by purpose."
  value       = local.alarm_arns
}

output "alarm_names" {
  description = "Name of every alarm, by purpose (the same keys as alarm_arns; docs/runbook.md has a section per key, its anchor the key with '-' for '_')."
  value       = local.alarm_names
}

output "query_definition_names" {
  description = "Full name (<dashboard>/<query>) of every saved Logs Insights query, by query."
  value       = { for key, query in aws_cloudwatch_query_definition.this : key => query.name }
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
