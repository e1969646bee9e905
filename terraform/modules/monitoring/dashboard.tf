data "aws_region" "current" {}

locals {
  processor = var.functions.processor_name
  api_fn    = var.functions.api_name

  metric_widgets = [
    {
      title   = "Invocations and errors"
      stat    = "Sum"
      metrics = [["AWS/Lambda", "Invocations", "FunctionName", local.processor], [".", "Errors", ".", "."], [".", "Invocations", ".", local.api_fn], [".", "Errors", ".", "."]]
    },
    {
      title   = "Duration p99 (ms)"
      stat    = "p99"
      metrics = [["AWS/Lambda", "Duration", "FunctionName", local.processor], ["...", local.api_fn]]
    },
    {
      title   = "Throttles"
      stat    = "Sum"
      metrics = [["AWS/Lambda", "Throttles", "FunctionName", local.processor], ["...", local.api_fn]]
    },
    {
      title   = "Destination delivery failures"
      stat    = "Sum"
      metrics = [["AWS/Lambda", "DestinationDeliveryFailures", "FunctionName", local.processor]]
    },
    {
      title   = "API requests, 4xx and 5xx"
      stat    = "Sum"
      metrics = [["AWS/ApiGateway", "Count", "ApiName", var.api.name, "Stage", var.api.stage], [".", "4XXError", ".", ".", ".", "."], [".", "5XXError", ".", ".", ".", "."]]
    },
    {
      # What the three failed-events alarms watch: events waiting (left axis), the oldest one's
      # age in seconds (right axis), and deliveries from the failures topic that SNS gave up on.
      title = "Failed events"
      stat  = "Maximum"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.failures_queue.queue_name, { label = "waiting" }],
        [".", "ApproximateAgeOfOldestMessage", ".", ".", { label = "oldest waiting (s)", yAxis = "right" }],
        ["AWS/SNS", "NumberOfNotificationsFailed", "TopicName", var.failures_queue.topic_name, { label = "undelivered", stat = "Sum" }],
      ]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.names.dashboard
  dashboard_body = jsonencode({
    widgets = concat(
      [
        {
          type   = "alarm"
          x      = 0
          y      = 0
          width  = 24
          height = 3
          properties = {
            title  = "Alarms"
            alarms = [for alarm in local.alarm_arns : alarm]
          }
        },
      ],
      [
        for index, widget in local.metric_widgets : {
          type   = "metric"
          x      = (index % 2) * 12
          y      = 3 + floor(index / 2) * 6
          width  = 12
          height = 6
          properties = {
            title   = widget.title
            region  = data.aws_region.current.name
            metrics = widget.metrics
            stat    = widget.stat
            period  = local.period
            view    = "timeSeries"
          }
        }
      ],
    )
  })
}
