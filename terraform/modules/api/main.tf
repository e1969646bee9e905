# REST API with one route, POST /process, proxied to the API function.

resource "aws_api_gateway_rest_api" "this" {
  name        = var.api_name
  description = "serverless-file-processor: POST /process processes a named object of the uploads bucket"

  endpoint_configuration {
    types            = [local.endpoint_type]
    vpc_endpoint_ids = local.endpoint_type == "PRIVATE" ? var.invoke_access.vpc_endpoint_ids : null
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "process" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "process"
}

# API Gateway rejects bodies without a string "key" with 400 before the function is invoked.
resource "aws_api_gateway_model" "process_request" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "ProcessRequest"
  description  = "Body of POST /process"
  content_type = "application/json"
  schema = jsonencode({
    "$schema"            = "http://json-schema.org/draft-04/schema#"
    title                = "ProcessRequest"
    type                 = "object"
    required             = ["key"]
    additionalProperties = false
    properties = {
      key        = { type = "string", minLength = 1, maxLength = 1024 }
      version_id = { type = "string", minLength = 1, maxLength = 1024 }
    }
  })
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "validate-body"
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_method" "process_post" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.process.id
  http_method          = "POST"
  authorization        = var.authorization
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models = {
    "application/json" = aws_api_gateway_model.process_request.name
  }
}

resource "aws_api_gateway_integration" "process_post" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.process.id
  http_method             = aws_api_gateway_method.process_post.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = var.function.invoke_arn
}

resource "aws_lambda_permission" "api_invoke" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.function.name
  principal     = "apigateway.amazonaws.com"
  # Only this API's POST /process, on any of its stages.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/*/${aws_api_gateway_method.process_post.http_method}${aws_api_gateway_resource.process.path}"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by Terraform"

  # A new deployment whenever anything the stage serves changes; the new one is created before
  # the old one is removed, so the stage never points at nothing.
  triggers = {
    # Only attributes that come from this configuration: hashing whole resource objects would
    # include server-side defaults that read back differently (e.g. [] vs null on refresh) and
    # force a redeployment on every plan.
    redeployment = sha1(jsonencode({
      resource  = [aws_api_gateway_resource.process.id, aws_api_gateway_resource.process.path_part]
      model     = [aws_api_gateway_model.process_request.id, aws_api_gateway_model.process_request.schema]
      validator = [aws_api_gateway_request_validator.body.id, aws_api_gateway_request_validator.body.validate_request_body]
      method = [
        aws_api_gateway_method.process_post.id,
        aws_api_gateway_method.process_post.authorization,
        aws_api_gateway_method.process_post.request_validator_id,
        aws_api_gateway_method.process_post.request_models,
      ]
      integration = [
        aws_api_gateway_integration.process_post.id,
        aws_api_gateway_integration.process_post.type,
        aws_api_gateway_integration.process_post.uri,
      ]
      # A changed resource policy takes effect only with a new deployment.
      policy = aws_api_gateway_rest_api_policy.this.policy
    }))
  }

  lifecycle {
    create_before_destroy = true
  }
}
