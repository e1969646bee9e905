# Alarms on the processor's error rate, throttles, duration near the timeout, the API's 5xx
# rate and failed deliveries to the on-failure destination. Every alarm notifies the alerts
# topic on ALARM and on OK, and its description links to its runbook section.

locals {
  actions  = [var.alerts_topic_arn]
  period   = var.error_rate.period
  runbook  = trimsuffix(var.runbook_url, "/")
  lambda   = "AWS/Lambda"
  function = var.functions.processor_name

  alarm_arns = {
    error_rate           = aws_cloudwatch_metric_alarm.error_rate.arn
    throttles            = aws_cloudwatch_metric_alarm.throttles.arn
    processor_duration   = aws_cloudwatch_metric_alarm.duration["processor"].arn
    api_duration         = aws_cloudwatch_metric_alarm.duration["api"].arn
    api_5xx              = aws_cloudwatch_metric_alarm.api_5xx.arn
    destination_failures = aws_cloudwatch_metric_alarm.destination_failures.arn
  }
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = var.names.error_rate_alarm
  alarm_description   = "More than ${var.error_rate.threshold_percent}% of ${local.function} invocations failed in ${var.error_rate.evaluation_periods} consecutive ${local.period / 60}-minute periods. Check the function's logs and the failures topic. Runbook: ${local.runbook}#runbook-error-rate"
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
  alarm_description   = "${var.functions.processor_name} or ${var.functions.api_name} was throttled. Check reserved concurrency against traffic. Runbook: ${local.runbook}#runbook-throttles"
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
    processor = { alarm = var.names.processor_duration_alarm, function = var.functions.processor_name, timeout = var.functions.processor_timeout }
    api       = { alarm = var.names.api_duration_alarm, function = var.functions.api_name, timeout = var.functions.api_timeout }
  }

  alarm_name          = each.value.alarm
  alarm_description   = "p99 duration of ${each.value.function} is above ${var.duration_threshold_ratio * 100}% of its ${each.value.timeout} s timeout: invocations are about to time out. Runbook: ${local.runbook}#runbook-duration"
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
  alarm_description   = "More than ${var.api_5xx_threshold_percent}% of requests to ${var.api.name}/${var.api.stage} answered 5xx. Runbook: ${local.runbook}#runbook-api-5xx"
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
  alarm_description   = "Lambda could not deliver failed events of ${local.function} to its on-failure destination: those events are lost unless redriven. Runbook: ${local.runbook}#runbook-destination-delivery-failures"
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
