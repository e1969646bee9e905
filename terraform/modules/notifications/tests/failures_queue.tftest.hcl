# The queue that keeps failed events: encrypted, 14 days, raw delivery from the failures topic,
# and a policy that lets only that topic send, only over TLS.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  # The mock cannot render the topic policy documents (notifications.tftest.hcl tests them).
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

override_resource {
  override_during = plan
  target          = aws_sns_topic.failures
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev" }
}

override_resource {
  override_during = plan
  target          = aws_sns_topic.results
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:sfp-results-euw1-dev" }
}

override_resource {
  override_during = plan
  target          = aws_sqs_queue.failures
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:sfp-failures-euw1-dev"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/sfp-failures-euw1-dev"
  }
}

variables {
  topic_names = {
    results  = "sfp-results-euw1-dev"
    failures = "sfp-failures-euw1-dev"
    alerts   = "sfp-alerts-euw1-dev"
  }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  publisher_role_arn = "arn:aws:iam::123456789012:role/sfp-processor-euw1-dev"
  alarm_arn_patterns = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:sfp-*-euw1-dev"]
}

run "queue_is_encrypted_and_keeps_messages_14_days" {
  command = plan

  assert {
    condition     = aws_sqs_queue.failures.name == "sfp-failures-euw1-dev"
    error_message = "By default the queue is named like the failures topic it keeps."
  }
  assert {
    condition     = aws_sqs_queue.failures.sqs_managed_sse_enabled == true && aws_sqs_queue.failures.kms_master_key_id == null
    error_message = "The queue must be encrypted with SSE-SQS (see failures_queue.tf for why not the stack's key)."
  }
  assert {
    condition     = aws_sqs_queue.failures.message_retention_seconds == 1209600
    error_message = "Failed events are kept for 14 days."
  }
  assert {
    condition     = aws_sqs_queue.failures.fifo_queue != true
    error_message = "A standard SNS topic can only deliver to a standard queue."
  }
}

run "failures_topic_delivers_raw_to_the_queue" {
  command = plan

  assert {
    condition = (
      aws_sns_topic_subscription.failures_queue.topic_arn == "arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev"
      && aws_sns_topic_subscription.failures_queue.protocol == "sqs"
      && aws_sns_topic_subscription.failures_queue.endpoint == "arn:aws:sqs:eu-west-1:123456789012:sfp-failures-euw1-dev"
    )
    error_message = "The failures topic (and only it) must be subscribed to the queue."
  }
  assert {
    condition     = aws_sns_topic_subscription.failures_queue.raw_message_delivery == true
    error_message = "Raw delivery: the message body must be the destination record, not an SNS envelope."
  }
}

run "queue_policy_allows_only_the_failures_topic_over_tls" {
  command = plan

  # (the mock cannot render the document: the assertions read its statements)
  assert {
    condition     = aws_sqs_queue.failures.policy == data.aws_iam_policy_document.failures_queue.json
    error_message = "The queue must be created with its policy (no separate aws_sqs_queue_policy: a second 25 s wait)."
  }
  assert {
    condition = length([
      for statement in data.aws_iam_policy_document.failures_queue.statement : statement
      if statement.effect == "Deny" && statement.actions == toset(["sqs:*"])
      && statement.resources == toset(["arn:aws:sqs:eu-west-1:123456789012:sfp-failures-euw1-dev"])
      && one(statement.principals).identifiers == toset(["*"])
      && one(statement.condition).test == "Bool" && one(statement.condition).variable == "aws:SecureTransport"
      && one(statement.condition).values == tolist(["false"])
    ]) == 1
    error_message = "The policy must deny every action on the queue to every principal without TLS."
  }
  assert {
    condition = [
      for statement in data.aws_iam_policy_document.failures_queue.statement : {
        actions    = statement.actions
        resources  = statement.resources
        principals = one(statement.principals).identifiers
        condition  = one(statement.condition)
      }
      if statement.effect == "Allow"
      ] == [{
        actions    = toset(["sqs:SendMessage"])
        resources  = toset(["arn:aws:sqs:eu-west-1:123456789012:sfp-failures-euw1-dev"])
        principals = toset(["sns.amazonaws.com"])
        condition  = { test = "ArnEquals", variable = "aws:SourceArn", values = tolist(["arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev"]) }
    }]
    error_message = "The only Allow must be SendMessage for SNS, from the failures topic only."
  }
  assert {
    condition = length([
      for statement in data.aws_iam_policy_document.failures_queue.statement : statement
      if statement.effect == "Deny" && statement.actions == toset(["sqs:SendMessage"])
      && one(statement.condition).test == "ArnNotEquals"
      && one(statement.condition).values == tolist(["arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev"])
    ]) == 1
    error_message = "Sending from anywhere but the failures topic (the results topic, an IAM user) must be denied."
  }
}

run "queue_name_and_retention_can_be_chosen" {
  command = plan

  variables {
    failures_queue = { name = "sfp-failed-events-euw1-dev", message_retention_seconds = 345600 }
  }

  assert {
    condition     = aws_sqs_queue.failures.name == "sfp-failed-events-euw1-dev" && aws_sqs_queue.failures.message_retention_seconds == 345600
    error_message = "An explicit name and retention must be used as given."
  }
}

run "rejects_a_retention_above_14_days" {
  command = plan
  variables {
    failures_queue = { message_retention_seconds = 1209601 }
  }
  expect_failures = [var.failures_queue]
}

run "rejects_a_fifo_or_invalid_queue_name" {
  command = plan
  variables {
    failures_queue = { name = "failures.fifo" }
  }
  expect_failures = [var.failures_queue]
}
