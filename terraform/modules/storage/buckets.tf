# Two buckets: uploads (the processor's input) and access_logs (the uploads bucket's server access
# logs). Both get the same hardening below, once, through for_each: versioning, Block Public
# Access, ACLs disabled, lifecycle; each has its own default encryption and (TLS-only) bucket
# policy. Uploads use SSE-KMS with the stack's key; the logs bucket uses SSE-S3, the only default
# encryption S3 server access log delivery supports.

resource "aws_s3_bucket" "uploads" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a DR/cost decision, not a default (S3.7 is not in FSBP); uploads are inputs that expire after lifecycle_rules.uploads_expiration_days (default 30) and their results are published to SNS.
  #checkov:skip=CKV2_AWS_62:The bucket's one notification (to the processor) lives in the compute module; checkov cannot follow the bucket across the module boundary.
  bucket        = var.uploads_bucket_name
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a DR/cost decision, not a default (S3.7 is not in FSBP).
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it would log itself (AWS advises against it).
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the access-log bucket.
  #checkov:skip=CKV_AWS_145:S3 server access log delivery supports only SSE-S3 as the target bucket's default encryption, not SSE-KMS (S3 user guide, enable-server-access-logging); the logs bucket is SSE-S3 on purpose.
  bucket        = var.access_logs_bucket_name
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

locals {
  buckets = {
    uploads     = aws_s3_bucket.uploads
    access_logs = aws_s3_bucket.access_logs
  }

  # Where the uploads bucket's access logs land; the delivery statement allows exactly this.
  access_log_prefix = "s3/${var.uploads_bucket_name}/"

  # Current objects expire in both buckets (uploads: inputs already processed; logs: their
  # retention); noncurrent versions expire after noncurrent_version_expiration_days.
  current_version_expiration_days = {
    uploads     = var.lifecycle_rules.uploads_expiration_days
    access_logs = var.lifecycle_rules.access_logs_expiration_days
  }
}

# The uploads bucket's policy: TLS only, and every object encrypted with the stack's key - an
# object under another key (or SSE-C, or SSE-S3 asked for explicitly) could not be read by the
# processor and would fail three times into the failures topic. Requests that name no encryption
# get the bucket default (the stack's key), so the two encryption conditions use ...IfExists.
data "aws_iam_policy_document" "uploads_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]

    # {"AWS": "*"} is IAM's spelling of "everyone", equivalent to "*" (and the form moto's
    # server-access-logging permission check can parse).
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
    sid       = "DenyUploadsNotEncryptedWithKms"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  statement {
    sid       = "DenyUploadsWithAnotherKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    # S3 compares this condition key with the key ARN (S3 user guide, UsingKMSEncryption).
    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [aws_kms_key.this.arn]
    }
  }

  statement {
    sid       = "DenyUploadsWithCustomerProvidedKeys"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-customer-algorithm"
      values   = ["false"]
    }
  }
}

# The logs bucket's policy: TLS only, and log delivery for the uploads bucket of this account.
data "aws_iam_policy_document" "access_logs_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]

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

  # With BucketOwnerEnforced, log delivery is authorised here instead of by an ACL, and only for
  # the uploads bucket of this account.
  statement {
    sid       = "AllowServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/${local.access_log_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.uploads.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Default encryption differs per bucket: the stack's key (with a bucket key) for uploads; SSE-S3
# for the logs bucket, because S3 server access logging cannot deliver into an SSE-KMS default.
resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["uploads"]
  to   = aws_s3_bucket_server_side_encryption_configuration.uploads
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["access_logs"]
  to   = aws_s3_bucket_server_side_encryption_configuration.access_logs
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket = each.value.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Each bucket's own policy document; both are evaluated after public access is blocked, never
# before.
resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = data.aws_iam_policy_document.uploads_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

moved {
  from = aws_s3_bucket_policy.this["uploads"]
  to   = aws_s3_bucket_policy.uploads
}

moved {
  from = aws_s3_bucket_policy.this["access_logs"]
  to   = aws_s3_bucket_policy.access_logs
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = var.lifecycle_rules_enabled ? local.buckets : {}

  bucket = each.value.id

  # Lifecycle rules on a versioned bucket must be applied after versioning.
  depends_on = [aws_s3_bucket_versioning.this]

  rule {
    id     = "abort-incomplete-uploads-and-expire-objects"
    status = "Enabled"

    # The whole bucket. Spelled prefix = "" rather than an empty filter {}: S3 returns
    # <Filter><Prefix></Prefix></Filter> either way, and this keeps the read-back identical.
    filter {
      prefix = ""
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.lifecycle_rules.abort_incomplete_multipart_upload_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.lifecycle_rules.noncurrent_version_expiration_days
    }

    expiration {
      days = local.current_version_expiration_days[each.key]
    }
  }
}

resource "aws_s3_bucket_logging" "uploads" {
  bucket        = aws_s3_bucket.uploads.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = local.access_log_prefix

  # Delivery is authorised by the logs bucket's policy (ACLs are disabled there).
  depends_on = [aws_s3_bucket_policy.access_logs]
}
