# Plan-only tests with a mocked AWS provider: no credentials, no network.

mock_provider "aws" {
  # Mocked computed values are known at plan time, so policies render into real JSON.
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
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/sfp-idempotency-euw1-dev" }
  }
}

override_resource {
  target          = aws_s3_bucket.uploads
  override_during = plan
  values          = { arn = "arn:aws:s3:::sfp-uploads-euw1-dev-123456789012", id = "sfp-uploads-euw1-dev-123456789012" }
}

override_resource {
  target          = aws_s3_bucket.access_logs
  override_during = plan
  values          = { arn = "arn:aws:s3:::sfp-access-logs-euw1-dev-123456789012", id = "sfp-access-logs-euw1-dev-123456789012" }
}

variables {
  uploads_bucket_name     = "sfp-uploads-euw1-dev-123456789012"
  access_logs_bucket_name = "sfp-access-logs-euw1-dev-123456789012"
  idempotency_table_name  = "sfp-idempotency-euw1-dev"
  kms_alias_name          = "sfp-key-euw1-dev"
}

run "uploads_bucket_is_private_encrypted_versioned_and_logged" {
  command = plan

  assert {
    condition     = aws_s3_bucket.uploads.force_destroy == false
    error_message = "The uploads bucket must never be force-destroyed."
  }
  assert {
    condition     = aws_s3_bucket_versioning.this["uploads"].versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled on the uploads bucket."
  }
  assert {
    condition = alltrue([
      for rule in aws_s3_bucket_server_side_encryption_configuration.this["uploads"].rule :
      rule.bucket_key_enabled && one(rule.apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" && one(rule.apply_server_side_encryption_by_default).kms_master_key_id == aws_kms_key.this.arn
    ])
    error_message = "The uploads bucket must use SSE-KMS with the stack's key and a bucket key."
  }
  assert {
    condition = alltrue([
      for block in aws_s3_bucket_public_access_block.this :
      block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets
    ])
    error_message = "All four Block Public Access settings must be on for both buckets."
  }
  assert {
    condition     = length(aws_s3_bucket_public_access_block.this) == 2 && length(aws_s3_bucket_policy.this) == 2 && length(aws_s3_bucket_versioning.this) == 2
    error_message = "Both buckets get public access blocks, policies and versioning."
  }
  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this["uploads"].rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }
  assert {
    condition     = aws_s3_bucket_logging.uploads.target_bucket == "sfp-access-logs-euw1-dev-123456789012"
    error_message = "Server access logs must go to the separate logs bucket."
  }
}

run "every_bucket_policy_denies_insecure_transport" {
  command = plan

  assert {
    condition = alltrue([
      for policy in values(aws_s3_bucket_policy.this)[*].policy :
      length([
        for statement in jsondecode(policy).Statement : statement
        if statement.Effect == "Deny" && statement.Action == "s3:*" && try(statement.Condition.Bool["aws:SecureTransport"], "") == "false"
      ]) == 1
    ])
    error_message = "Each bucket policy must deny every request made without TLS."
  }
  assert {
    condition     = contains(jsondecode(aws_s3_bucket_policy.this["uploads"].policy).Statement[0].Resource, "arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*")
    error_message = "The TLS rule must cover the objects of the uploads bucket."
  }
}

run "lifecycle_aborts_uploads_and_expires_noncurrent_versions" {
  command = plan

  variables {
    lifecycle_rules = { abort_incomplete_multipart_upload_days = 3, noncurrent_version_expiration_days = 10 }
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 3
    error_message = "Incomplete multipart uploads must be aborted after the configured days."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].noncurrent_version_expiration[0].noncurrent_days == 10
    error_message = "Noncurrent versions must expire after the configured days."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this["access_logs"].rule[0].expiration[0].days == 90 && length(aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].expiration) == 0
    error_message = "Access logs expire after the default 90 days; current uploads never expire by age."
  }
}

run "access_logs_bucket_is_encrypted_and_only_accepts_logs_of_the_uploads_bucket" {
  command = plan

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this["access_logs"].rule).apply_server_side_encryption_by_default).kms_master_key_id == aws_kms_key.this.arn
    error_message = "The logs bucket is encrypted with the stack's key."
  }
  assert {
    condition = contains(one([
      for statement in jsondecode(aws_kms_key.this.policy).Statement : statement
      if statement.Sid == "AllowAwsServicesOfThisAccount"
    ]).Principal.Service, "logging.s3.amazonaws.com")
    error_message = "S3 server access logging must be allowed to use the key of the logs bucket."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_s3_bucket_policy.this["access_logs"].policy).Statement : statement
      if statement.Effect == "Allow"
    ]).Condition.ArnLike["aws:SourceArn"] == "arn:aws:s3:::sfp-uploads-euw1-dev-123456789012"
    error_message = "Log delivery must be limited to the uploads bucket."
  }
}

run "key_rotates_and_its_policy_is_explicit" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "The key must rotate and keep the 30-day deletion window by default."
  }
  assert {
    condition     = aws_kms_alias.this.name == "alias/sfp-key-euw1-dev"
    error_message = "The alias must be alias/<kms_alias_name>."
  }
  assert {
    condition = alltrue([
      for statement in jsondecode(aws_kms_key.this.policy).Statement :
      try(statement.Principal.AWS, "") != "*" && try(statement.Principal, "") != "*"
    ])
    error_message = "The key policy must never name Principal \"*\"."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_kms_key.this.policy).Statement : statement
      if statement.Sid == "AllowCloudWatchLogsOfThisAccount"
    ]).Principal.Service == "logs.eu-west-1.amazonaws.com"
    error_message = "CloudWatch Logs of the key's region must be allowed to use the key."
  }
}

run "idempotency_table_is_on_demand_with_ttl_pitr_and_kms" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.idempotency.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.idempotency.hash_key == "id"
    error_message = "The table must be on-demand with partition key id (Powertools' default)."
  }
  assert {
    condition     = one(aws_dynamodb_table.idempotency.ttl).enabled && one(aws_dynamodb_table.idempotency.ttl).attribute_name == "expiration"
    error_message = "TTL must be enabled on the expiration attribute."
  }
  assert {
    condition     = one(aws_dynamodb_table.idempotency.point_in_time_recovery).enabled
    error_message = "Point-in-time recovery must be on."
  }
  assert {
    condition     = one(aws_dynamodb_table.idempotency.server_side_encryption).kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must be encrypted with the stack's key."
  }
}

run "rejects_an_invalid_bucket_name" {
  command = plan
  variables {
    uploads_bucket_name = "Uploads_Bucket"
  }
  expect_failures = [var.uploads_bucket_name]
}

run "rejects_an_invalid_access_logs_bucket_name" {
  command = plan
  variables {
    access_logs_bucket_name = "x"
  }
  expect_failures = [var.access_logs_bucket_name]
}

run "rejects_an_invalid_table_name" {
  command = plan
  variables {
    idempotency_table_name = "no spaces allowed"
  }
  expect_failures = [var.idempotency_table_name]
}

run "rejects_a_reserved_alias" {
  command = plan
  variables {
    kms_alias_name = "aws/s3"
  }
  expect_failures = [var.kms_alias_name]
}

run "rejects_a_deletion_window_out_of_range" {
  command = plan
  variables {
    kms_deletion_window_in_days = 3
  }
  expect_failures = [var.kms_deletion_window_in_days]
}

run "rejects_a_non_service_principal" {
  command = plan
  variables {
    key_user_service_principals = ["arn:aws:iam::111111111111:root"]
  }
  expect_failures = [var.key_user_service_principals]
}

run "rejects_a_zero_day_lifecycle" {
  command = plan
  variables {
    lifecycle_rules = { noncurrent_version_expiration_days = 0 }
  }
  expect_failures = [var.lifecycle_rules]
}

run "lifecycle_rules_can_be_switched_off_for_the_emulator" {
  command = plan

  variables {
    lifecycle_rules_enabled = false
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this) == 0
    error_message = "lifecycle_rules_enabled = false must create no lifecycle configuration."
  }
}
