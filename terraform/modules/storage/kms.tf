# One customer-managed key for the uploads bucket, the idempotency table, the SNS topics, the
# log groups and the functions' environment variables. Rotation on, explicit key policy.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  account_root_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

# The key policy. In a key policy "Resource": "*" means "this key" (a key policy cannot name any
# other resource), which checkov's identity-policy checks cannot know.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:Key policy: "Resource": "*" is this key only, and kms:* goes to the account root, which only delegates to the account's IAM policies (AWS's default key policy statement).
  #checkov:skip=CKV_AWS_111:Key policy: "Resource": "*" is this key only; write actions go to the account root (delegation to IAM) and to AWS services limited by conditions.
  #checkov:skip=CKV_AWS_356:Key policy: "Resource": "*" is this key only; a key policy cannot name another resource.

  # Without this statement IAM policies could not grant use of the key (and the key could become
  # unmanageable). It delegates to IAM; it does not grant anything by itself.
  statement {
    sid       = "EnableIamPoliciesOfThisAccount"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }
  }

  # CloudWatch Logs encrypts the log groups of this account in this region only.
  statement {
    sid       = "AllowCloudWatchLogsOfThisAccount"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }

  # CloudWatch publishes alarm notifications to the encrypted alerts topic: only for the alarms
  # of this stack (aws:SourceArn), in this account.
  dynamic "statement" {
    for_each = length(var.alarm_arn_patterns) == 0 ? [] : [var.alarm_arn_patterns]

    content {
      sid       = "AllowCloudWatchAlarmsOfThisStack"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = statement.value
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts uploads, idempotency records, topics, logs and function environments of ${var.uploads_bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.kms_alias_name}"
  target_key_id = aws_kms_key.this.key_id
}
