output "results_topic_arn" {
  description = "ARN of the topic that receives one message per processed object."
  value       = aws_sns_topic.results.arn
}

output "failures_topic_arn" {
  description = "ARN of the processor's on-failure destination topic."
  value       = aws_sns_topic.failures.arn
}

output "failures_topic_name" {
  description = "Name of the on-failure destination topic."
  value       = aws_sns_topic.failures.name
}

output "alerts_topic_arn" {
  description = "ARN of the topic that receives alarm and OK notifications."
  value       = aws_sns_topic.alerts.arn
}

output "failures_queue_name" {
  description = "Name of the queue that keeps failed events (subscribed to the failures topic, raw delivery)."
  value       = aws_sqs_queue.failures.name
}

output "failures_queue_url" {
  description = "URL of the queue that keeps failed events."
  value       = aws_sqs_queue.failures.url
}

output "failures_queue_arn" {
  description = "ARN of the queue that keeps failed events."
  value       = aws_sqs_queue.failures.arn
}

output "failures_queue_retention_seconds" {
  description = "How long the failures queue keeps a message, in seconds (the aging alarm must fire well before)."
  value       = aws_sqs_queue.failures.message_retention_seconds
}
