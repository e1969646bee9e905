mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      id               = "abc123defg"
      root_resource_id = "rootid1234"
      execution_arn    = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg"
    }
  }
  mock_resource "aws_api_gateway_resource" {
    defaults = { path = "/process" }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = { invoke_url = "https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/sfp-api-euw1-dev/access" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/sfp-apigw-cloudwatch-euw1-dev" }
  }
  # The mock cannot render policy documents; the assertions read the documents' statements.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  api_name = "sfp-api-euw1-dev"
  function = {
    name       = "sfp-api-euw1-dev"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:sfp-api-euw1-dev/invocations"
  }
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "post_process_is_iam_authorized_and_validated" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this.endpoint_configuration[0].types == tolist(["REGIONAL"])
    error_message = "The API must be regional."
  }
  assert {
    condition     = aws_api_gateway_resource.process.path_part == "process" && aws_api_gateway_method.process_post.http_method == "POST"
    error_message = "The route must be POST /process."
  }
  assert {
    condition     = aws_api_gateway_method.process_post.authorization == "AWS_IAM"
    error_message = "POST /process must require SigV4 (AWS_IAM)."
  }
  assert {
    condition     = aws_api_gateway_request_validator.body.validate_request_body && aws_api_gateway_method.process_post.request_models["application/json"] == "ProcessRequest"
    error_message = "The body must be validated against the ProcessRequest model."
  }
  assert {
    condition     = contains(jsondecode(aws_api_gateway_model.process_request.schema).required, "key")
    error_message = "The model must require key."
  }
  assert {
    condition     = aws_api_gateway_integration.process_post.type == "AWS_PROXY" && aws_api_gateway_integration.process_post.uri == var.function.invoke_arn
    error_message = "The route must proxy to the API function."
  }
  assert {
    condition     = aws_lambda_permission.api_invoke.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/*/POST/process"
    error_message = "API Gateway may invoke the function only for this API's POST /process."
  }
}

run "stage_logs_traces_throttles_and_never_traces_data" {
  command = plan

  variables {
    throttling = { rate_limit = 7, burst_limit = 11 }
  }

  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled
    error_message = "X-Ray must be on."
  }
  assert {
    condition     = one(aws_api_gateway_stage.this.access_log_settings).destination_arn == aws_cloudwatch_log_group.access.arn && jsondecode(one(aws_api_gateway_stage.this.access_log_settings).format).requestId == "$context.requestId"
    error_message = "Access logs must be JSON in their own log group."
  }
  assert {
    condition     = aws_cloudwatch_log_group.access.kms_key_id == var.kms_key_arn
    error_message = "The access log group must be encrypted with the key."
  }
  assert {
    condition = alltrue([
      for settings in aws_api_gateway_method_settings.all.settings :
      settings.metrics_enabled && !settings.data_trace_enabled && settings.logging_level == "ERROR" && settings.throttling_rate_limit == 7 && settings.throttling_burst_limit == 11
    ])
    error_message = "Metrics on, data trace off, logging level set, throttling as configured."
  }
  assert {
    condition     = output.api_url == "https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/process"
    error_message = "api_url must be the full invoke URL of POST /process."
  }
  assert {
    condition     = length(aws_api_gateway_account.this) == 0
    error_message = "The account-level CloudWatch role is not managed unless asked for."
  }
}

run "manages_the_account_cloudwatch_role_with_a_custom_policy" {
  command = plan

  variables {
    cloudwatch_role_name = "sfp-apigw-cloudwatch-euw1-dev"
  }

  assert {
    condition     = aws_api_gateway_account.this[0].cloudwatch_role_arn == "arn:aws:iam::123456789012:role/sfp-apigw-cloudwatch-euw1-dev"
    error_message = "The account setting must use the module's role."
  }
}

run "the_account_cloudwatch_role_serves_every_api_of_the_account" {
  command = plan

  variables {
    cloudwatch_role_name = "sfp-apigw-cloudwatch-euw1-dev"
  }

  # Finding 4: aws_api_gateway_account is one per account and region, so its role must let every
  # REST API there write its logs, and logs:DescribeLogGroups needs Resource "*".
  assert {
    condition = toset([
      for statement in data.aws_iam_policy_document.cloudwatch.statement :
      "${join(",", sort(statement.actions))} ${join(",", sort(statement.resources))}"
      ]) == toset([
      "logs:DescribeLogGroups *",
      "logs:CreateLogGroup,logs:CreateLogStream,logs:DescribeLogStreams,logs:FilterLogEvents,logs:GetLogEvents,logs:PutLogEvents arn:aws:logs:eu-west-1:123456789012:log-group:*,arn:aws:logs:eu-west-1:123456789012:log-group:*:log-stream:*",
    ])
    error_message = "The role gets AmazonAPIGatewayPushToCloudWatchLogs' actions on every log group of this account and region, DescribeLogGroups on *."
  }
  assert {
    condition     = !strcontains(join(" ", flatten([for statement in data.aws_iam_policy_document.cloudwatch.statement : tolist(statement.resources)])), "abc123defg")
    error_message = "The account-level role must not be limited to this API."
  }
}

run "execution_logs_are_created_encrypted_and_retained" {
  command = plan

  variables {
    log_retention_in_days = 90
  }

  # Finding 4: API Gateway would create API-Gateway-Execution-Logs_<id>/<stage> itself,
  # unencrypted and kept forever.
  assert {
    condition     = aws_cloudwatch_log_group.execution.name == "API-Gateway-Execution-Logs_abc123defg/v1"
    error_message = "The execution log group must be API-Gateway-Execution-Logs_<rest api id>/<stage>."
  }
  assert {
    condition     = aws_cloudwatch_log_group.execution.retention_in_days == 90 && aws_cloudwatch_log_group.execution.kms_key_id == var.kms_key_arn
    error_message = "The execution log group gets the retention and the key."
  }
  assert {
    condition     = output.execution_log_group_name == "API-Gateway-Execution-Logs_abc123defg/v1"
    error_message = "The execution log group is an output."
  }
}

run "denies_every_caller_by_default" {
  command = plan

  # Finding 7: without listed callers the resource policy denies everyone, unconditionally.
  assert {
    condition = [
      for statement in data.aws_iam_policy_document.invoke.statement :
      "${coalesce(statement.effect, "Allow")} ${join(",", statement.actions)} ${join(",", statement.resources)} ${length(statement.condition)}"
    ] == ["Deny execute-api:Invoke arn:aws:execute-api:eu-west-1:123456789012:abc123defg/* 0"]
    error_message = "With no invoke_access, the policy is one unconditional Deny of execute-api:Invoke."
  }
  assert {
    condition     = aws_api_gateway_rest_api_policy.this.rest_api_id == "abc123defg"
    error_message = "The policy is attached to the API."
  }
  assert {
    condition     = aws_api_gateway_rest_api.this.endpoint_configuration[0].types == tolist(["REGIONAL"])
    error_message = "Without VPC endpoints the API stays regional."
  }
}

run "allows_listed_principals_and_accounts_and_denies_everyone_else" {
  command = plan

  variables {
    invoke_access = {
      principals = ["111111111111", "arn:aws:iam::222222222222:role/uploader"]
    }
  }

  assert {
    condition = one([
      for statement in data.aws_iam_policy_document.invoke.statement : statement if statement.sid == "AllowListedCallers"
    ]).principals == toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:role/uploader"]) }])
    error_message = "Listed accounts (as their root ARN) and principals are allowed."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.invoke.statement : statement.resources if statement.sid == "AllowListedCallers"]) == toset(["arn:aws:execute-api:eu-west-1:123456789012:abc123defg/*/POST/process"])
    error_message = "The allow covers POST /process only."
  }
  assert {
    condition = toset([
      for condition in one([for statement in data.aws_iam_policy_document.invoke.statement : statement if statement.sid == "DenyUnlistedCallers"]).condition :
      "${condition.test} ${condition.variable} ${join(",", condition.values)}"
      ]) == toset([
      "ArnNotEquals aws:PrincipalArn arn:aws:iam::222222222222:role/uploader",
      "StringNotEquals aws:PrincipalAccount 111111111111",
    ])
    error_message = "Everyone who is neither a listed principal nor in a listed account is denied (ANDed conditions)."
  }
}

run "vpc_endpoints_make_the_api_private_and_deny_other_sources" {
  command = plan

  variables {
    invoke_access = {
      principals       = ["123456789012"]
      vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    }
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.endpoint_configuration[0].types == tolist(["PRIVATE"]) && aws_api_gateway_rest_api.this.endpoint_configuration[0].vpc_endpoint_ids == toset(["vpce-0123456789abcdef0"])
    error_message = "VPC endpoint ids make the API private, reachable through those endpoints."
  }
  assert {
    condition = [
      for condition in one([for statement in data.aws_iam_policy_document.invoke.statement : statement if statement.sid == "DenyOutsideTheVpcEndpoints"]).condition :
      "${condition.test} ${condition.variable} ${join(",", condition.values)}"
    ] == ["StringNotEquals aws:SourceVpce vpce-0123456789abcdef0"]
    error_message = "Requests from anywhere but the listed endpoints are denied."
  }
}

run "rejects_authorization_none" {
  command = plan
  variables {
    authorization = "NONE"
  }
  expect_failures = [var.authorization]
}

run "rejects_an_invalid_api_name" {
  command = plan
  variables {
    api_name = "My API"
  }
  expect_failures = [var.api_name]
}

run "rejects_an_invalid_stage_name" {
  command = plan
  variables {
    stage_name = "v-1"
  }
  expect_failures = [var.stage_name]
}

run "rejects_zero_throttling" {
  command = plan
  variables {
    throttling = { rate_limit = 0 }
  }
  expect_failures = [var.throttling]
}

run "rejects_a_full_data_logging_level" {
  command = plan
  variables {
    logging_level = "OFF"
  }
  expect_failures = [var.logging_level]
}

run "rejects_an_unsupported_retention" {
  command = plan
  variables {
    log_retention_in_days = 2
  }
  expect_failures = [var.log_retention_in_days]
}

run "rejects_a_key_id" {
  command = plan
  variables {
    kms_key_arn = "not-an-arn"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_an_invalid_role_name" {
  command = plan
  variables {
    cloudwatch_role_name = "a role with spaces"
  }
  expect_failures = [var.cloudwatch_role_name]
}

run "rejects_a_wildcard_principal" {
  command = plan
  variables {
    invoke_access = { principals = ["*"] }
  }
  expect_failures = [var.invoke_access]
}

run "rejects_an_invalid_vpc_endpoint_id" {
  command = plan
  variables {
    invoke_access = { vpc_endpoint_ids = ["vpc-12345678"] }
  }
  expect_failures = [var.invoke_access]
}
