# Each topic gets its own policy instead of SNS's default one (which lets any principal of the
# account Subscribe, SetTopicAttributes, DeleteTopic, ... and has no TLS rule). A same-account
# principal still needs an IAM permission to act on a topic; what the policies add:
#   results, failures - only the processor's role may publish (the failures topic is the
#                       processor's on-failure destination; Lambda delivers with the function's
#                       role), everyone else is denied sns:Publish;
#   alerts            - CloudWatch may publish, only for this stack's alarms (aws:SourceArn) in
#                       this account (aws:SourceAccount);
#   all three         - every topic action is denied without TLS (aws:SecureTransport = false).

data "aws_caller_identity" "current" {}

locals {
  # The actions a topic policy can name (the set SNS's default topic policy grants).
  topic_actions = [
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:AddPermission",
    "sns:RemovePermission",
    "sns:DeleteTopic",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:Publish",
  ]

  processor_topic_arns = {
    results  = aws_sns_topic.results.arn
    failures = aws_sns_topic.failures.arn
  }
}

data "aws_iam_policy_document" "processor_topic" {
  for_each = local.processor_topic_arns

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = local.topic_actions
    resources = [each.value]

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

  statement {
    sid       = "AllowPublishByTheProcessor"
    actions   = ["sns:Publish"]
    resources = [each.value]

    principals {
      type        = "AWS"
      identifiers = [var.publisher_role_arn]
    }
  }

  statement {
    sid       = "DenyPublishByAnyoneElse"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [each.value]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = [var.publisher_role_arn]
    }
  }
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = local.topic_actions
    resources = [aws_sns_topic.alerts.arn]

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

  statement {
    sid       = "AllowCloudWatchAlarmsOfThisStack"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = var.alarm_arn_patterns
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "results" {
  arn    = aws_sns_topic.results.arn
  policy = data.aws_iam_policy_document.processor_topic["results"].json
}

resource "aws_sns_topic_policy" "failures" {
  arn    = aws_sns_topic.failures.arn
  policy = data.aws_iam_policy_document.processor_topic["failures"].json
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}
