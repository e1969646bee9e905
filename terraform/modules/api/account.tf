# Execution logging needs the account-level CloudWatch role of API Gateway: ONE setting per account
# and region, used by every REST API there. Managed here only when cloudwatch_role_name is set
# (in exactly one stack per account and region); otherwise it is managed elsewhere.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # Every log group of this account in this region: the role serves all REST APIs here, whose
  # execution logs (API-Gateway-Execution-Logs_<id>/<stage>) and access logs (any group their
  # owners choose) it writes.
  account_log_groups_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"
}

data "aws_iam_policy_document" "cloudwatch_assume_role" {
  statement {
    sid     = "ApiGatewayAssumesTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

# What the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy grants, as a custom policy
# limited to this account's log groups in this region (the role is used for every REST API here,
# so it cannot be limited to this API).
data "aws_iam_policy_document" "cloudwatch" {
  # DescribeLogGroups lists groups: it supports no resource-level permission (Resource "*").
  statement {
    sid       = "ListLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }

  statement {
    sid = "WriteApiLogsOfThisAccountAndRegion"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
    ]
    resources = [local.account_log_groups_arn, "${local.account_log_groups_arn}:log-stream:*"]
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.cloudwatch_role_name == null ? 0 : 1

  name               = var.cloudwatch_role_name
  description        = "Lets API Gateway write the execution and access logs of every REST API of this account and region to CloudWatch Logs"
  assume_role_policy = data.aws_iam_policy_document.cloudwatch_assume_role.json

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.cloudwatch_role_name == null ? 0 : 1

  name   = "push-to-cloudwatch-logs"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.cloudwatch.json
}

resource "aws_api_gateway_account" "this" {
  count = var.cloudwatch_role_name == null ? 0 : 1

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.cloudwatch]
}
