# One customer-managed key for the uploads bucket, the idempotency table, the SNS topics, the
# log groups and the functions' environment variables. Rotation on, explicit key policy.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  account_root_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"

  # The key policy is written as jsonencode() rather than aws_iam_policy_document: checkov reports
  # false positives (CKV_AWS_109/111/356) on key policies built from policy documents
  # (bridgecrewio/checkov#2336, #5181), and a key policy's "Resource": "*" means "this key".
  key_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        # Without this statement IAM policies could not grant use of the key (and the key could
        # become unmanageable). It delegates to IAM; it does not grant anything by itself.
        Sid       = "EnableIamPoliciesOfThisAccount"
        Effect    = "Allow"
        Principal = { AWS = local.account_root_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs encrypts the log groups of this account in this region only.
        Sid       = "AllowCloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.${data.aws_region.current.name}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"
          }
        }
      },
      ],
      length(var.key_user_service_principals) == 0 ? [] : [
        {
          # SNS (encrypted topics), CloudWatch (alarms publishing to the encrypted alerts topic)
          # and S3 server access logging (the encrypted logs bucket) use the key only on behalf
          # of this account's resources.
          Sid       = "AllowAwsServicesOfThisAccount"
          Effect    = "Allow"
          Principal = { Service = var.key_user_service_principals }
          Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
          Resource  = "*"
          Condition = {
            StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
          }
        },
    ])
  })
}

resource "aws_kms_key" "this" {
  description             = "Encrypts uploads, idempotency records, topics, logs and function environments of ${var.uploads_bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = local.key_policy

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.kms_alias_name}"
  target_key_id = aws_kms_key.this.key_id
}
