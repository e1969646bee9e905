mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mocked" }
  }
}

variables {
  names = {
    error_rate_alarm                = "sfp-error-rate-euw1-dev"
    throttles_alarm                 = "sfp-throttles-euw1-dev"
    processor_duration_alarm        = "sfp-processor-duration-euw1-dev"
    api_duration_alarm              = "sfp-api-duration-euw1-dev"
    api_5xx_alarm                   = "sfp-api-5xx-euw1-dev"
    destination_failures_alarm      = "sfp-destination-failures-euw1-dev"
    failed_events_waiting_alarm     = "sfp-failed-events-waiting-euw1-dev"
    failed_events_aging_alarm       = "sfp-failed-events-aging-euw1-dev"
    failed_events_undelivered_alarm = "sfp-failed-events-undelivered-euw1-dev"
    dashboard                       = "sfp-dashboard-euw1-dev"
  }
  functions = {
    processor_name    = "sfp-processor-euw1-dev"
    processor_timeout = 300
    api_name          = "sfp-api-euw1-dev"
    api_timeout       = 20
  }
  api = {
    name  = "sfp-api-euw1-dev"
    stage = "v1"
  }
  failures_queue = {
    queue_name        = "sfp-failures-euw1-dev"
    topic_name        = "sfp-failures-euw1-dev"
    retention_seconds = 1209600
  }
  log_groups = {
    processor  = "/aws/lambda/sfp-processor-euw1-dev"
    api        = "/aws/lambda/sfp-api-euw1-dev"
    api_access = "/aws/apigateway/sfp-api-euw1-dev/access"
  }
  alerts_topic_arn = "arn:aws:sns:eu-west-1:123456789012:sfp-alerts-euw1-dev"
  runbook_url      = "https://github.com/example-org/serverless-file-processor/blob/main/docs/runbook.md"
}

run "error_rate_alarm_is_metric_math_without_division_by_zero" {
  command = plan

  assert {
    condition     = one([for query in aws_cloudwatch_metric_alarm.error_rate.metric_query : query if query.return_data == true]).expression == "IF(invocations > 0, 100 * errors / invocations, 0)"
    error_message = "The alarm must compute 100 * errors / invocations, guarded against zero invocations."
  }
  assert {
    condition = alltrue([
      for query in aws_cloudwatch_metric_alarm.error_rate.metric_query :
      one(query.metric).period == 300 && one(query.metric).stat == "Sum" && one(query.metric).dimensions.FunctionName == "sfp-processor-euw1-dev"
      if length(query.metric) > 0
    ]) && length([for query in aws_cloudwatch_metric_alarm.error_rate.metric_query : query if length(query.metric) > 0]) == 2
    error_message = "errors and invocations must be 5-minute sums of the processor's metrics."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.comparison_operator == "GreaterThanThreshold" && aws_cloudwatch_metric_alarm.error_rate.threshold == 5
    error_message = "The alarm fires above 5 %."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.evaluation_periods == 2 && aws_cloudwatch_metric_alarm.error_rate.datapoints_to_alarm == 2
    error_message = "Two evaluation periods."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.error_rate.treat_missing_data == "notBreaching"
    error_message = "Missing data (no traffic) must not breach."
  }
  assert {
    condition     = endswith(aws_cloudwatch_metric_alarm.error_rate.alarm_description, "Runbook: https://github.com/example-org/serverless-file-processor/blob/main/docs/runbook.md#error-rate")
    error_message = "The description must link to the runbook section."
  }
}

run "every_alarm_notifies_alerts_on_alarm_and_ok" {
  command = plan

  assert {
    condition = alltrue([
      for alarm in concat(
        [
          aws_cloudwatch_metric_alarm.error_rate, aws_cloudwatch_metric_alarm.throttles, aws_cloudwatch_metric_alarm.api_5xx, aws_cloudwatch_metric_alarm.destination_failures,
          aws_cloudwatch_metric_alarm.failed_events_waiting, aws_cloudwatch_metric_alarm.failed_events_aging, aws_cloudwatch_metric_alarm.failed_events_undelivered,
        ],
        values(aws_cloudwatch_metric_alarm.duration),
      ) :
      alarm.actions_enabled && alarm.alarm_actions == toset([var.alerts_topic_arn]) && alarm.ok_actions == toset([var.alerts_topic_arn]) && alarm.treat_missing_data == "notBreaching" && strcontains(alarm.alarm_description, "Runbook: ${var.runbook_url}#")
    ])
    error_message = "Every alarm needs ALARM and OK actions to the alerts topic, notBreaching, and a runbook link."
  }
}

run "duration_alarms_fire_near_the_timeout" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.duration["processor"].threshold == 240000 && aws_cloudwatch_metric_alarm.duration["processor"].extended_statistic == "p99"
    error_message = "Processor p99 duration alarm at 80 % of 300 s."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.duration["api"].threshold == 16000
    error_message = "API p99 duration alarm at 80 % of 20 s."
  }
}

run "api_5xx_and_destination_failures_are_watched" {
  command = plan

  assert {
    condition     = one([for query in aws_cloudwatch_metric_alarm.api_5xx.metric_query : query if query.return_data == true]).expression == "IF(requests > 0, 100 * errors_5xx / requests, 0)"
    error_message = "The API alarm must be a guarded 5xx rate."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.destination_failures.metric_name == "DestinationDeliveryFailures" && aws_cloudwatch_metric_alarm.destination_failures.threshold == 0
    error_message = "Any failed delivery to the on-failure destination must alarm."
  }
}

run "dashboard_shows_the_alarms_and_metrics" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 7
    error_message = "The dashboard has one alarm widget and six metric widgets."
  }
  assert {
    condition = length(one([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget if widget.type == "alarm"
    ]).properties.alarms) == 9
    error_message = "The alarm widget shows all nine alarms."
  }
  assert {
    condition = one([
      for widget in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : widget.properties.metrics
      if widget.type == "metric" && widget.properties.title == "Failed events"
      ]) == [
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "sfp-failures-euw1-dev", { label = "waiting" }],
      [".", "ApproximateAgeOfOldestMessage", ".", ".", { label = "oldest waiting (s)", yAxis = "right" }],
      ["AWS/SNS", "NumberOfNotificationsFailed", "TopicName", "sfp-failures-euw1-dev", { label = "undelivered", stat = "Sum" }],
    ]
    error_message = "The Failed events widget shows the failures queue's waiting events and oldest age, and the failures topic's failed deliveries."
  }
}

run "failed_events_in_the_queue_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failed_events_waiting.namespace == "AWS/SQS"
      && aws_cloudwatch_metric_alarm.failed_events_waiting.metric_name == "ApproximateNumberOfMessagesVisible"
      && aws_cloudwatch_metric_alarm.failed_events_waiting.dimensions == tomap({ QueueName = "sfp-failures-euw1-dev" })
      && aws_cloudwatch_metric_alarm.failed_events_waiting.statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.failed_events_waiting.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.failed_events_waiting.threshold == 0
    )
    error_message = "Any visible message in the failures queue must alarm."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failed_events_aging.metric_name == "ApproximateAgeOfOldestMessage"
      && aws_cloudwatch_metric_alarm.failed_events_aging.dimensions == tomap({ QueueName = "sfp-failures-euw1-dev" })
      && aws_cloudwatch_metric_alarm.failed_events_aging.statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.failed_events_aging.threshold == 86400
    )
    error_message = "A failed event waiting more than a day must alarm."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failed_events_undelivered.namespace == "AWS/SNS"
      && aws_cloudwatch_metric_alarm.failed_events_undelivered.metric_name == "NumberOfNotificationsFailed"
      && aws_cloudwatch_metric_alarm.failed_events_undelivered.dimensions == tomap({ TopicName = "sfp-failures-euw1-dev" })
      && aws_cloudwatch_metric_alarm.failed_events_undelivered.threshold == 0
    )
    error_message = "A failed event SNS could not deliver to the queue must alarm."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.failed_events_aging.alarm_description, "more than 24 h; the queue drops events after 14 days")
    error_message = "The aging alarm says how long events have waited and when they are dropped."
  }
}

run "every_alarm_is_named_and_linked_to_its_own_section" {
  command = plan

  assert {
    condition = output.alarm_names == {
      error_rate                = "sfp-error-rate-euw1-dev"
      throttles                 = "sfp-throttles-euw1-dev"
      processor_duration        = "sfp-processor-duration-euw1-dev"
      api_duration              = "sfp-api-duration-euw1-dev"
      api_5xx                   = "sfp-api-5xx-euw1-dev"
      destination_failures      = "sfp-destination-failures-euw1-dev"
      failed_events_waiting     = "sfp-failed-events-waiting-euw1-dev"
      failed_events_aging       = "sfp-failed-events-aging-euw1-dev"
      failed_events_undelivered = "sfp-failed-events-undelivered-euw1-dev"
    }
    error_message = "alarm_names must list every alarm by purpose."
  }
  assert {
    condition = alltrue([
      for key, alarm in {
        error_rate                = aws_cloudwatch_metric_alarm.error_rate
        throttles                 = aws_cloudwatch_metric_alarm.throttles
        processor_duration        = aws_cloudwatch_metric_alarm.duration["processor"]
        api_duration              = aws_cloudwatch_metric_alarm.duration["api"]
        api_5xx                   = aws_cloudwatch_metric_alarm.api_5xx
        destination_failures      = aws_cloudwatch_metric_alarm.destination_failures
        failed_events_waiting     = aws_cloudwatch_metric_alarm.failed_events_waiting
        failed_events_aging       = aws_cloudwatch_metric_alarm.failed_events_aging
        failed_events_undelivered = aws_cloudwatch_metric_alarm.failed_events_undelivered
      } : endswith(alarm.alarm_description, "Runbook: ${var.runbook_url}#${replace(key, "_", "-")}")
    ])
    error_message = "Each alarm's description must end with a link to the runbook section named after its key."
  }
  assert {
    condition     = output.error_rate_alarm == { name = "sfp-error-rate-euw1-dev", threshold_percent = 5, period_seconds = 300, evaluation_periods = 2 }
    error_message = "error_rate_alarm must describe the alarm as deployed."
  }
}

run "logs_insights_queries_are_saved_per_env" {
  command = plan

  assert {
    condition = output.query_definition_names == {
      for query in ["processor-errors", "processor-errors-by-type", "object-trail", "api-errors", "api-5xx-requests", "slowest-invocations", "invocations-per-minute"] :
      query => "sfp-dashboard-euw1-dev/${query}"
    }
    error_message = "Each runbook query is saved in the env's folder (named like the dashboard)."
  }
  assert {
    condition = (
      aws_cloudwatch_query_definition.this["processor-errors"].log_group_names == tolist(["/aws/lambda/sfp-processor-euw1-dev"])
      && aws_cloudwatch_query_definition.this["api-5xx-requests"].log_group_names == tolist(["/aws/apigateway/sfp-api-euw1-dev/access"])
      && aws_cloudwatch_query_definition.this["slowest-invocations"].log_group_names == tolist(["/aws/lambda/sfp-processor-euw1-dev", "/aws/lambda/sfp-api-euw1-dev"])
    )
    error_message = "Queries must read the log groups they are about."
  }
  assert {
    condition     = strcontains(aws_cloudwatch_query_definition.this["processor-errors"].query_string, "or @message like /\\[ERROR\\]|Task timed out|Runtime\\.[A-Za-z]+/")
    error_message = "The error queries must also catch unhandled exceptions, timeouts and runtime errors (no handler log line)."
  }
  assert {
    condition     = alltrue([for query in aws_cloudwatch_query_definition.this : query.query_string == trimspace(query.query_string)])
    error_message = "Query strings are stored without surrounding whitespace (or every plan would show a change)."
  }
}

run "rejects_an_invalid_dashboard_name" {
  command = plan
  variables {
    names = {
      error_rate_alarm                = "a"
      throttles_alarm                 = "b"
      processor_duration_alarm        = "c"
      api_duration_alarm              = "d"
      api_5xx_alarm                   = "e"
      destination_failures_alarm      = "f"
      failed_events_waiting_alarm     = "g"
      failed_events_aging_alarm       = "h"
      failed_events_undelivered_alarm = "i"
      dashboard                       = "has spaces"
    }
  }
  expect_failures = [var.names]
}

run "rejects_an_invalid_topic_arn" {
  command = plan
  variables {
    alerts_topic_arn = "sfp-alerts"
  }
  expect_failures = [var.alerts_topic_arn]
}

run "rejects_a_ten_minute_period" {
  command = plan
  variables {
    error_rate = { period = 600 }
  }
  expect_failures = [var.error_rate]
}

run "rejects_a_duration_ratio_of_one" {
  command = plan
  variables {
    duration_threshold_ratio = 1
  }
  expect_failures = [var.duration_threshold_ratio]
}

run "rejects_a_5xx_threshold_of_zero" {
  command = plan
  variables {
    api_5xx_threshold_percent = 0
  }
  expect_failures = [var.api_5xx_threshold_percent]
}

run "rejects_an_age_threshold_beyond_the_retention" {
  command = plan
  variables {
    failures_queue = {
      queue_name            = "q"
      topic_name            = "t"
      retention_seconds     = 345600
      age_threshold_seconds = 345600
    }
  }
  expect_failures = [var.failures_queue]
}

run "rejects_an_invalid_log_group_name" {
  command = plan
  variables {
    log_groups = { processor = "has spaces", api = "/aws/lambda/a", api_access = "/aws/apigateway/a/access" }
  }
  expect_failures = [var.log_groups]
}

run "rejects_an_http_runbook" {
  command = plan
  variables {
    runbook_url = "http://example.com/runbook"
  }
  expect_failures = [var.runbook_url]
}
