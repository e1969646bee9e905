output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "api_name" {
  description = "Name of the REST API (the ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "stage_name" {
  description = "Name of the stage (the Stage dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_url" {
  description = "Full invoke URL of POST /process (sign requests with SigV4: authorization is AWS_IAM)."
  value       = "${aws_api_gateway_stage.this.invoke_url}${aws_api_gateway_resource.process.path}"
}

output "access_log_group_name" {
  description = "Name of the stage's access log group."
  value       = aws_cloudwatch_log_group.access.name
}

output "stage_arn" {
  description = "ARN of the stage (e.g. to associate an organisation's WAF web ACL)."
  value       = aws_api_gateway_stage.this.arn
}

output "execution_log_group_name" {
  description = "Name of the stage's execution log group (API-Gateway-Execution-Logs_<id>/<stage>), created with retention and the key."
  value       = aws_cloudwatch_log_group.execution.name
}
