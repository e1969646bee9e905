# The stage: JSON access logs to their own encrypted log group, X-Ray, metrics, throttling and
# execution logging without data tracing (full request/response logs can capture sensitive data).

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.api_name}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
}

# API Gateway creates API-Gateway-Execution-Logs_<id>/<stage> itself when execution logging is
# first used - unencrypted and kept forever. Created here first (before the method settings turn
# logging on), with the retention and the key of the other log groups.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:POST /process is not cacheable; a cache cluster would only add cost (APIGateway.5 applies only when caching is on).
  #checkov:skip=CKV2_AWS_29:Every request must be SigV4-signed (AWS_IAM) and the stage is throttled; a WAF web ACL is an organisation-level cost/policy decision associated outside this module (the stage ARN is an output).
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; the backend here is a Lambda proxy integration (APIGateway.2).
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      responseLatency    = "$context.responseLatency"
      errorMessage       = "$context.error.message"
      callerAccount      = "$context.identity.accountId"
      userArn            = "$context.identity.userArn"
      sourceIp           = "$context.identity.sourceIp"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:POST /process is not cacheable; caching is deliberately off.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling.rate_limit
    throttling_burst_limit = var.throttling.burst_limit
  }

  # Execution logging starts here: the group must exist first, or API Gateway creates its own.
  depends_on = [aws_cloudwatch_log_group.execution]
}
