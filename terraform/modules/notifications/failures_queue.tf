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

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  failures_queue_name = coalesce(var.failures_queue.name, var.topic_names.failures)

  # The queue's and the topic's ARNs built from their names, not read from the resources: the
  # policy is then known before either exists, so the queue is created with it at once. The
  # provider waits for every SQS queue attribute write to read back the same six times, 5 s
  # apart (internal/service/sqs/wait.go, "avoid lowering"): a separate aws_sqs_queue_policy,
  # created after the topic and the queue, added a second ~25 s wait to the critical path of
  # every deploy.
  partition          = data.aws_partition.current.partition
  region             = data.aws_region.current.name
  account_id         = data.aws_caller_identity.current.account_id
  failures_queue_arn = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.failures_queue_name}"
  failures_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.topic_names.failures}"
}

resource "aws_sqs_queue" "failures" {
  name                      = local.failures_queue_name
  message_retention_seconds = var.failures_queue.message_retention_seconds
  sqs_managed_sse_enabled   = true
  policy                    = data.aws_iam_policy_document.failures_queue.json

  # The queue holds the only copy of the events that failed: losing it loses them.
  lifecycle {
    prevent_destroy = true
  }
}

# The policy used to be a separate aws_sqs_queue_policy: forget it rather than delete it, or its
# destroy (DeleteQueuePolicy) could run after the queue wrote the same policy and wipe it.
removed {
  from = aws_sqs_queue_policy.failures

  lifecycle {
    destroy = false
  }
}

data "aws_iam_policy_document" "failures_queue" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.failures_queue_arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # The subscription's delivery (SNS docs, "Subscribing an Amazon SQS queue to an Amazon SNS
  # topic": https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
  statement {
    sid       = "AllowTheFailuresTopic"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [local.failures_queue_arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.failures_topic_arn]
    }
  }

  # Identity policies of this account could otherwise still grant sqs:SendMessage. A request
  # without aws:SourceArn matches a negated operator, so it is denied as well (IAM User Guide,
  # condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
  statement {
    sid       = "DenySendersOtherThanTheFailuresTopic"
    effect    = "Deny"
    actions   = ["sqs:SendMessage"]
    resources = [local.failures_queue_arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:SourceArn"
      values   = [local.failures_topic_arn]
    }
  }
}

resource "aws_sns_topic_subscription" "failures_queue" {
  topic_arn            = aws_sns_topic.failures.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.failures.arn
  raw_message_delivery = true
}
