output "uploads_bucket_name" {
  description = "Name of the uploads bucket."
  value       = aws_s3_bucket.uploads.id
}

output "uploads_bucket_arn" {
  description = "ARN of the uploads bucket."
  value       = aws_s3_bucket.uploads.arn
}

output "access_logs_bucket_name" {
  description = "Name of the server access logs bucket."
  value       = aws_s3_bucket.access_logs.id
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key shared by the stack."
  value       = aws_kms_key.this.arn
}

output "kms_alias_name" {
  description = "Full alias name of the key (alias/...)."
  value       = aws_kms_alias.this.name
}

output "idempotency_table_name" {
  description = "Name of the DynamoDB idempotency table."
  value       = aws_dynamodb_table.idempotency.name
}

output "idempotency_table_arn" {
  description = "ARN of the DynamoDB idempotency table."
  value       = aws_dynamodb_table.idempotency.arn
}

output "uploader_policy_json" {
  description = "IAM policy (JSON) an uploader needs: s3:PutObject/AbortMultipartUpload under the upload prefix and kms:GenerateDataKey/Decrypt on the stack's key through S3."
  value       = data.aws_iam_policy_document.uploader.json
}

output "uploader_policy_arn" {
  description = "ARN of the customer-managed uploader policy (null when uploader_policy_name is null)."
  value       = one(aws_iam_policy.uploader[*].arn)
}
