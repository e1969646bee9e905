# Alarms on the processor's error rate, throttles, duration near the timeout, the API's 5xx
# rate, failed deliveries to the on-failure destination, and the failures queue (events waiting,
# the oldest one's age, deliveries from the failures topic that gave up). Every alarm notifies the
# alerts topic on ALARM and on OK, and its description ends with a link to its own section of
# docs/runbook.md (the anchor is written out, so tests/terraform/test_runbook.py can check it).

locals {
  actions  = [var.alerts_topic_arn]
  period   = var.error_rate.period
  runbook  = trimsuffix(var.runbook_url, "/")
  lambda   = "AWS/Lambda"
  function = var.functions.processor_name

  alarm_arns = {
    error_rate                = aws_cloudwatch_metric_alarm.error_rate.arn
    throttles                 = aws_cloudwatch_metric_alarm.throttles.arn
    processor_duration        = aws_cloudwatch_metric_alarm.duration["processor"].arn
    api_duration              = aws_cloudwatch_metric_alarm.duration["api"].arn
    api_5xx                   = aws_cloudwatch_metric_alarm.api_5xx.arn
    destination_failures      = aws_cloudwatch_metric_alarm.destination_failures.arn
    failed_events_waiting     = aws_cloudwatch_metric_alarm.failed_events_waiting.arn
    failed_events_aging       = aws_cloudwatch_metric_alarm.failed_events_aging.arn
    failed_events_undelivered = aws_cloudwatch_metric_alarm.failed_events_undelivered.arn
  }

  alarm_names = {
    error_rate                = aws_cloudwatch_metric_alarm.error_rate.alarm_name
    throttles                 = aws_cloudwatch_metric_alarm.throttles.alarm_name
    processor_duration        = aws_cloudwatch_metric_alarm.duration["processor"].alarm_name
    api_duration              = aws_cloudwatch_metric_alarm.duration["api"].alarm_name
    api_5xx                   = aws_cloudwatch_metric_alarm.api_5xx.alarm_name
    destination_failures      = aws_cloudwatch_metric_alarm.destination_failures.alarm_name
    failed_events_waiting     = aws_cloudwatch_metric_alarm.failed_events_waiting.alarm_name
    failed_events_aging       = aws_cloudwatch_metric_alarm.failed_events_aging.alarm_name
    failed_events_undelivered = aws_cloudwatch_metric_alarm.failed_events_undelivered.alarm_name
  }
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = var.names.error_rate_alarm
  alarm_description   = "More than ${var.error_rate.threshold_percent}% of ${local.function} invocations failed in ${var.error_rate.evaluation_periods} consecutive ${local.period / 60}-minute periods. Events whose retries run out wait in the failures queue. Runbook: ${local.runbook}#error-rate"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate.threshold_percent
  evaluation_periods  = var.error_rate.evaluation_periods
  datapoints_to_alarm = var.error_rate.evaluation_periods
  # No invocations means no error rate, not an incident.
  treat_missing_data = "notBreaching"
  actions_enabled    = true
  alarm_actions      = local.actions
  ok_actions         = local.actions

  metric_query {
    id          = "error_rate"
    label       = "Error rate (%)"
    return_data = true
    # IF() makes a division by zero impossible: periods without invocations yield 0.
    expression = "IF(invocations > 0, 100 * errors / invocations, 0)"
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = local.lambda
      metric_name = "Errors"
      dimensions  = { FunctionName = local.function }
      period      = local.period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "invocations"
    metric {
      namespace   = local.lambda
      metric_name = "Invocations"
      dimensions  = { FunctionName = local.function }
      period      = local.period
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = var.names.throttles_alarm
  alarm_description   = "${var.functions.processor_name} or ${var.functions.api_name} was throttled. Check reserved concurrency against traffic. Runbook: ${local.runbook}#throttles"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "throttles"
    label       = "Throttles (both functions)"
    return_data = true
    expression  = "FILL(processor, 0) + FILL(api, 0)"
  }

  metric_query {
    id = "processor"
    metric {
      namespace   = local.lambda
      metric_name = "Throttles"
      dimensions  = { FunctionName = var.functions.processor_name }
      period      = local.period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "api"
    metric {
      namespace   = local.lambda
      metric_name = "Throttles"
      dimensions  = { FunctionName = var.functions.api_name }
      period      = local.period
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "duration" {
  for_each = {
    processor = { alarm = var.names.processor_duration_alarm, function = var.functions.processor_name, timeout = var.functions.processor_timeout, runbook = "processor-duration" }
    api       = { alarm = var.names.api_duration_alarm, function = var.functions.api_name, timeout = var.functions.api_timeout, runbook = "api-duration" }
  }

  alarm_name          = each.value.alarm
  alarm_description   = "p99 duration of ${each.value.function} is above ${var.duration_threshold_ratio * 100}% of its ${each.value.timeout} s timeout: invocations are about to time out. Runbook: ${local.runbook}#${each.value.runbook}"
  namespace           = local.lambda
  metric_name         = "Duration"
  dimensions          = { FunctionName = each.value.function }
  extended_statistic  = "p99"
  period              = local.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = floor(each.value.timeout * 1000 * var.duration_threshold_ratio)
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = var.names.api_5xx_alarm
  alarm_description   = "More than ${var.api_5xx_threshold_percent}% of requests to ${var.api.name}/${var.api.stage} answered 5xx. Runbook: ${local.runbook}#api-5xx"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_5xx_threshold_percent
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate_5xx"
    label       = "5xx rate (%)"
    return_data = true
    expression  = "IF(requests > 0, 100 * errors_5xx / requests, 0)"
  }

  metric_query {
    id = "errors_5xx"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      dimensions  = { ApiName = var.api.name, Stage = var.api.stage }
      period      = local.period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiName = var.api.name, Stage = var.api.stage }
      period      = local.period
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "destination_failures" {
  alarm_name          = var.names.destination_failures_alarm
  alarm_description   = "Lambda could not deliver failed events of ${local.function} to its on-failure destination: they never reach the failures queue and are lost unless recovered. Runbook: ${local.runbook}#destination-failures"
  namespace           = local.lambda
  metric_name         = "DestinationDeliveryFailures"
  dimensions          = { FunctionName = local.function }
  statistic           = "Sum"
  period              = local.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# The failures queue: SQS publishes its metrics while the queue holds messages or is used, so an
# empty, idle queue has no data points — which is "nothing waiting", hence notBreaching.
resource "aws_cloudwatch_metric_alarm" "failed_events_waiting" {
  alarm_name          = var.names.failed_events_waiting_alarm
  alarm_description   = "Failed events of ${local.function} are waiting in ${var.failures_queue.queue_name}: their retries ran out. List them with `invoke failures`, fix the cause, then `invoke redrive`. Runbook: ${local.runbook}#failed-events-waiting"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.failures_queue.queue_name }
  statistic           = "Maximum"
  period              = local.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "failed_events_aging" {
  alarm_name          = var.names.failed_events_aging_alarm
  alarm_description   = "The oldest failed event in ${var.failures_queue.queue_name} has waited more than ${var.failures_queue.age_threshold_seconds / 3600} h; the queue drops events after ${var.failures_queue.retention_seconds / 86400} days. Redrive or record them before then. Runbook: ${local.runbook}#failed-events-aging"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = var.failures_queue.queue_name }
  statistic           = "Maximum"
  period              = local.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.failures_queue.age_threshold_seconds
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# SNS retries deliveries to SQS for days; NumberOfNotificationsFailed counts a message only once SNS
# has given up on it, i.e. a failed event that never reached the queue.
resource "aws_cloudwatch_metric_alarm" "failed_events_undelivered" {
  alarm_name          = var.names.failed_events_undelivered_alarm
  alarm_description   = "The failures topic ${var.failures_queue.topic_name} gave up delivering failed events to ${var.failures_queue.queue_name}: they are lost unless recovered. Check the queue, its policy and the subscription. Runbook: ${local.runbook}#failed-events-undelivered"
  namespace           = "AWS/SNS"
  metric_name         = "NumberOfNotificationsFailed"
  dimensions          = { TopicName = var.failures_queue.topic_name }
  statistic           = "Sum"
  period              = local.period
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
