# The failures queue keeps what the failures topic receives: every event the processor gave up on
# (retries exhausted, or too old), as Lambda's on-failure destination record, until an operator
# lists it (`invoke failures`) and processes it again (`invoke redrive`). Without a subscriber a
# message published to the topic is gone.
#
# Delivery is raw (the message body is the destination record itself, no SNS envelope), the queue
# keeps messages for 14 days (SQS's maximum), and its policy lets only the failures topic send,
# only over TLS.
#
# Encryption: SSE-SQS (SQS-owned keys), not the stack's customer-managed key. For SNS to deliver to
# a queue encrypted with a customer-managed key, that key's policy must let sns.amazonaws.com use
# kms:GenerateDataKey* and kms:Decrypt (SQS Developer Guide, "Configure KMS permissions for AWS
# services": https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services),
# and nothing on the emulator would show a missing grant: failed events would be refused on AWS
# only, silently. The key policy lives in the storage module, and a grant scoped to this topic
# (aws:SourceArn) would make the key depend on a topic that is itself encrypted with the key.
# SSE-SQS encrypts at rest with no key policy to keep in step (SQS Developer Guide, "Encryption at
# rest": https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html),
# which is what Security Hub SQS.1 and checkov CKV_AWS_27 ask for. What it gives up, and how to
# switch to the customer-managed key: docs/runbook.md#failures-queue-encryption.

locals {
  failures_queue_name = coalesce(var.failures_queue.name, var.topic_names.failures)
}

resource "aws_sqs_queue" "failures" {
  name                      = local.failures_queue_name
  message_retention_seconds = var.failures_queue.message_retention_seconds
  sqs_managed_sse_enabled   = true

  # The queue holds the only copy of the events that failed: losing it loses them.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_sqs_queue_policy" "failures" {
  queue_url = aws_sqs_queue.failures.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.failures.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # The subscription's delivery (SNS docs, "Subscribing an Amazon SQS queue to an Amazon SNS
        # topic": https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
        Sid       = "AllowTheFailuresTopic"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.failures.arn
        Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.failures.arn } }
      },
      {
        # Identity policies of this account could otherwise still grant sqs:SendMessage. A request
        # without aws:SourceArn matches a negated operator, so it is denied as well (IAM User
        # Guide, condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
        Sid       = "DenySendersOtherThanTheFailuresTopic"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.failures.arn
        Condition = { ArnNotEquals = { "aws:SourceArn" = aws_sns_topic.failures.arn } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "failures_queue" {
  topic_arn            = aws_sns_topic.failures.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.failures.arn
  raw_message_delivery = true

  # SNS delivers as soon as the subscription exists; without the policy the queue would refuse.
  depends_on = [aws_sqs_queue_policy.failures]
}
