# Two buckets: uploads (the processor's input) and access_logs (the uploads bucket's server access
# logs). Both get the same hardening below, once, through for_each: versioning, SSE-KMS with the
# stack's key and a bucket key, Block Public Access, ACLs disabled, a TLS-only policy, lifecycle.

resource "aws_s3_bucket" "uploads" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a DR/cost decision, not a default (S3.7 is not in FSBP); uploads are transient inputs.
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

  # Statements each bucket's policy has besides the TLS-only deny that every bucket gets.
  extra_policy_statements = {
    uploads = []
    access_logs = [
      {
        # With BucketOwnerEnforced, log delivery is authorised here instead of by an ACL, and
        # only for the uploads bucket of this account.
        Sid       = "AllowServerAccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs.arn}/${local.access_log_prefix}*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = aws_s3_bucket.uploads.arn }
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        }
      },
    ]
  }

  # Only the logs bucket expires current objects; both abort uploads and expire old versions.
  current_version_expiration_days = {
    uploads     = null
    access_logs = var.lifecycle_rules.access_logs_expiration_days
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
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

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid    = "DenyInsecureTransport"
          Effect = "Deny"
          # {"AWS": "*"} is IAM's spelling of "everyone", equivalent to "*" (and the form moto's
          # server-access-logging permission check can parse).
          Principal = { AWS = "*" }
          Action    = "s3:*"
          Resource  = [each.value.arn, "${each.value.arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
      ],
      local.extra_policy_statements[each.key],
    )
  })

  # The policy is evaluated after public access is blocked, never before.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = var.lifecycle_rules_enabled ? local.buckets : {}

  bucket = each.value.id

  # Lifecycle rules on a versioned bucket must be applied after versioning.
  depends_on = [aws_s3_bucket_versioning.this]

  rule {
    id     = "abort-incomplete-uploads-and-expire-old-versions"
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

    dynamic "expiration" {
      for_each = local.current_version_expiration_days[each.key] == null ? [] : [local.current_version_expiration_days[each.key]]
      content {
        days = expiration.value
      }
    }
  }
}

resource "aws_s3_bucket_logging" "uploads" {
  bucket        = aws_s3_bucket.uploads.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = local.access_log_prefix

  # Delivery is authorised by the logs bucket's policy (ACLs are disabled there).
  depends_on = [aws_s3_bucket_policy.this]
}
