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
    error_rate_alarm           = "sfp-error-rate-euw1-dev"
    throttles_alarm            = "sfp-throttles-euw1-dev"
    processor_duration_alarm   = "sfp-processor-duration-euw1-dev"
    api_duration_alarm         = "sfp-api-duration-euw1-dev"
    api_5xx_alarm              = "sfp-api-5xx-euw1-dev"
    destination_failures_alarm = "sfp-destination-failures-euw1-dev"
    dashboard                  = "sfp-dashboard-euw1-dev"
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
  alerts_topic_arn = "arn:aws:sns:eu-west-1:123456789012:sfp-alerts-euw1-dev"
  runbook_url      = "https://github.com/example-org/serverless-file-processor/blob/main/docs/terraform.md"
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
    condition     = endswith(aws_cloudwatch_metric_alarm.error_rate.alarm_description, "/docs/terraform.md#runbook-error-rate")
    error_message = "The description must link to the runbook section."
  }
}

run "every_alarm_notifies_alerts_on_alarm_and_ok" {
  command = plan

  assert {
    condition = alltrue([
      for alarm in concat(
        [aws_cloudwatch_metric_alarm.error_rate, aws_cloudwatch_metric_alarm.throttles, aws_cloudwatch_metric_alarm.api_5xx, aws_cloudwatch_metric_alarm.destination_failures],
        values(aws_cloudwatch_metric_alarm.duration),
      ) :
      alarm.actions_enabled && alarm.alarm_actions == toset([var.alerts_topic_arn]) && alarm.ok_actions == toset([var.alerts_topic_arn]) && alarm.treat_missing_data == "notBreaching" && strcontains(alarm.alarm_description, "#runbook-")
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
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 6
    error_message = "The dashboard has one alarm widget and five metric widgets."
  }
}

run "rejects_an_invalid_dashboard_name" {
  command = plan
  variables {
    names = {
      error_rate_alarm           = "a"
      throttles_alarm            = "b"
      processor_duration_alarm   = "c"
      api_duration_alarm         = "d"
      api_5xx_alarm              = "e"
      destination_failures_alarm = "f"
      dashboard                  = "has spaces"
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

run "rejects_an_http_runbook" {
  command = plan
  variables {
    runbook_url = "http://example.com/runbook"
  }
  expect_failures = [var.runbook_url]
}
