# Execution logging needs the account-level CloudWatch role of API Gateway (one per account and
# region). Managed here only when cloudwatch_role_name is set; otherwise it is managed elsewhere.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  execution_log_groups_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}"
}

resource "aws_iam_role" "cloudwatch" {
  count = var.cloudwatch_role_name == null ? 0 : 1

  name        = var.cloudwatch_role_name
  description = "Lets API Gateway write execution and access logs to CloudWatch Logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "apigateway.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

# The same permissions as the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy, kept as
# a custom policy scoped to API Gateway's own log groups.
resource "aws_iam_role_policy" "cloudwatch" {
  count = var.cloudwatch_role_name == null ? 0 : 1

  name = "push-to-cloudwatch-logs"
  role = aws_iam_role.cloudwatch[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "ApiGatewayLogGroups"
        Effect = "Allow"
        Action = [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:DescribeLogGroups",
          "logs:DescribeLogStreams",
          "logs:PutLogEvents",
          "logs:GetLogEvents",
          "logs:FilterLogEvents",
        ]
        # API Gateway creates the execution log groups itself, so there is no resource to refer
        # to: their ARN is the one built from data sources here.
        Resource = [
          "${local.execution_log_groups_arn}/*",
          "${local.execution_log_groups_arn}/*:*",
          aws_cloudwatch_log_group.access.arn,
          "${aws_cloudwatch_log_group.access.arn}:*",
        ]
      },
    ]
  })
}

resource "aws_api_gateway_account" "this" {
  count = var.cloudwatch_role_name == null ? 0 : 1

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.cloudwatch]
}
