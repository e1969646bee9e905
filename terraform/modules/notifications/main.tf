# Three topics with three audiences, so that each can be subscribed to (and alarmed on) alone:
# results for downstream consumers, failures for the on-failure destination of the processor
# (records that exhausted their retries, to inspect and redrive), alerts for operators.

resource "aws_sns_topic" "results" {
  name              = var.topic_names.results
  kms_master_key_id = var.kms_key_arn

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_sns_topic" "failures" {
  name              = var.topic_names.failures
  kms_master_key_id = var.kms_key_arn

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_sns_topic" "alerts" {
  name              = var.topic_names.alerts
  kms_master_key_id = var.kms_key_arn

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_sns_topic_subscription" "alert_email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}
