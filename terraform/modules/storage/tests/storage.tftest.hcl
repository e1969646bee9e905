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
  # The mock cannot render policy documents; a valid placeholder keeps the resources' JSON
  # validation quiet (the assertions read the documents' statements).
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
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
  alarm_arn_patterns      = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:sfp-*-euw1-dev"]
}

# Policies are aws_iam_policy_document data sources, which the mock provider cannot render into
# JSON: the assertions read the documents' statements (what the provider renders from) instead,
# through "signatures" - "<effect> <actions> <resources>" and "<test> <variable> <values>".

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
      for rule in aws_s3_bucket_server_side_encryption_configuration.uploads.rule :
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
    condition     = length(aws_s3_bucket_public_access_block.this) == 2 && aws_s3_bucket_policy.uploads.bucket == "sfp-uploads-euw1-dev-123456789012" && aws_s3_bucket_policy.access_logs.bucket == "sfp-access-logs-euw1-dev-123456789012" && length(aws_s3_bucket_versioning.this) == 2
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
      for document in [data.aws_iam_policy_document.uploads_bucket, data.aws_iam_policy_document.access_logs_bucket] :
      length([
        for statement in document.statement : statement
        if statement.effect == "Deny" && statement.actions == toset(["s3:*"])
        && contains([for principal in statement.principals : "${principal.type} ${join(",", principal.identifiers)}"], "AWS *")
        && contains([for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"], "Bool aws:SecureTransport false")
      ]) == 1
    ])
    error_message = "Each bucket policy must deny every request made without TLS, to everyone."
  }
  assert {
    condition = one([
      for statement in data.aws_iam_policy_document.uploads_bucket.statement : statement if statement.sid == "DenyInsecureTransport"
    ]).resources == toset(["arn:aws:s3:::sfp-uploads-euw1-dev-123456789012", "arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*"])
    error_message = "The TLS rule must cover the uploads bucket and its objects."
  }
}

run "uploads_bucket_refuses_objects_the_processor_could_not_decrypt" {
  command = plan

  # Finding 3: an object under another key (or SSE-C, or SSE-S3 asked for explicitly) would fail
  # three times and land on the failures topic; requests naming no encryption get the default.
  assert {
    condition = toset(flatten([
      for statement in data.aws_iam_policy_document.uploads_bucket.statement : [
        for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"
      ] if statement.effect == "Deny" && statement.actions == toset(["s3:PutObject"]) && statement.resources == toset(["arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*"])
      ])) == toset([
      "StringNotEqualsIfExists s3:x-amz-server-side-encryption aws:kms",
      "StringNotEqualsIfExists s3:x-amz-server-side-encryption-aws-kms-key-id arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
      "Null s3:x-amz-server-side-encryption-customer-algorithm false",
    ])
    error_message = "The uploads bucket must deny PutObject with another algorithm, another key (by its ARN) or SSE-C - one condition per statement, so each denies on its own."
  }
  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.uploads_bucket.statement :
      length(statement.condition) == 1 && contains([for principal in statement.principals : "${principal.type} ${join(",", principal.identifiers)}"], "AWS *")
      if statement.effect == "Deny"
    ])
    error_message = "Every deny of the uploads bucket applies to everyone and has exactly one condition (conditions in one statement are ANDed)."
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
    condition     = aws_s3_bucket_lifecycle_configuration.this["access_logs"].rule[0].expiration[0].days == 90
    error_message = "Access logs expire after the default 90 days."
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].expiration).days == 30
    error_message = "Uploads expire 30 days after upload by default (finding 9: they are transient inputs, so they must not be kept forever)."
  }
}

run "uploads_retention_is_a_variable" {
  command = plan

  variables {
    lifecycle_rules = { uploads_expiration_days = 400, noncurrent_version_expiration_days = 7 }
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].expiration).days == 400 && one(aws_s3_bucket_lifecycle_configuration.this["uploads"].rule[0].noncurrent_version_expiration).noncurrent_days == 7
    error_message = "Current and noncurrent retention of uploads come from lifecycle_rules."
  }
}

run "access_logs_bucket_is_sse_s3_and_only_accepts_logs_of_the_uploads_bucket" {
  command = plan

  # Finding 1: S3 server access log delivery supports only SSE-S3 as the target's default
  # encryption; with SSE-KMS, logs may silently never arrive.
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "The logs bucket must use SSE-S3 (AES256): log delivery does not support an SSE-KMS default."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default).kms_master_key_id == null
    error_message = "The logs bucket names no KMS key."
  }
  assert {
    condition = !contains(flatten([
      for statement in data.aws_iam_policy_document.key.statement : [for principal in statement.principals : principal.identifiers]
    ]), "logging.s3.amazonaws.com")
    error_message = "The key policy must not grant S3 server access logging: the logs bucket does not use the key."
  }
  assert {
    condition = toset([
      for condition in one([for statement in data.aws_iam_policy_document.access_logs_bucket.statement : statement if statement.sid == "AllowServerAccessLogDelivery"]).condition :
      "${condition.test} ${condition.variable} ${join(",", condition.values)}"
      ]) == toset([
      "ArnLike aws:SourceArn arn:aws:s3:::sfp-uploads-euw1-dev-123456789012",
      "StringEquals aws:SourceAccount 123456789012",
    ])
    error_message = "Log delivery must be limited to the uploads bucket of this account."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.access_logs_bucket.statement : statement if statement.sid == "AllowServerAccessLogDelivery"]).resources == toset(["arn:aws:s3:::sfp-access-logs-euw1-dev-123456789012/s3/sfp-uploads-euw1-dev-123456789012/*"])
    error_message = "Log delivery may write only under the uploads bucket's log prefix."
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
    condition = alltrue(flatten([
      for statement in data.aws_iam_policy_document.key.statement : [for principal in statement.principals : !contains(principal.identifiers, "*")]
    ]))
    error_message = "The key policy must never name Principal \"*\"."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.key.statement : statement if statement.sid == "AllowCloudWatchLogsOfThisAccount"]).principals == toset([{ type = "Service", identifiers = toset(["logs.eu-west-1.amazonaws.com"]) }])
    error_message = "CloudWatch Logs of the key's region must be allowed to use the key."
  }
  assert {
    condition     = [for statement in data.aws_iam_policy_document.key.statement : statement.sid] == ["EnableIamPoliciesOfThisAccount", "AllowCloudWatchLogsOfThisAccount", "AllowCloudWatchAlarmsOfThisStack"]
    error_message = "The key policy has exactly three statements: IAM delegation, CloudWatch Logs, CloudWatch alarms."
  }
}

run "key_lets_cloudwatch_act_only_for_this_stacks_alarms" {
  command = plan

  # Finding 6: no sns.amazonaws.com grant (nothing uses it), and CloudWatch limited by
  # aws:SourceArn to the stack's alarms (and aws:SourceAccount to this account).
  assert {
    condition = !contains(flatten([
      for statement in data.aws_iam_policy_document.key.statement : [for principal in statement.principals : principal.identifiers]
    ]), "sns.amazonaws.com")
    error_message = "The key policy must not grant sns.amazonaws.com: nothing uses it."
  }
  assert {
    condition = toset([
      for condition in one([for statement in data.aws_iam_policy_document.key.statement : statement if contains(flatten([for principal in statement.principals : principal.identifiers]), "cloudwatch.amazonaws.com")]).condition :
      "${condition.test} ${condition.variable} ${join(",", condition.values)}"
      ]) == toset([
      "ArnLike aws:SourceArn arn:aws:cloudwatch:eu-west-1:123456789012:alarm:sfp-*-euw1-dev",
      "StringEquals aws:SourceAccount 123456789012",
    ])
    error_message = "CloudWatch may use the key only for the stack's alarms (aws:SourceArn) in this account."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.key.statement : statement if statement.sid == "AllowCloudWatchAlarmsOfThisStack"]).actions == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
    error_message = "CloudWatch needs kms:Decrypt and kms:GenerateDataKey* to publish to the encrypted alerts topic, nothing more."
  }
}

run "no_cloudwatch_statement_without_alarms" {
  command = plan

  variables {
    alarm_arn_patterns = []
  }

  assert {
    condition     = !contains([for statement in data.aws_iam_policy_document.key.statement : statement.sid], "AllowCloudWatchAlarmsOfThisStack")
    error_message = "Without alarms, CloudWatch gets no use of the key."
  }
}

run "uploaders_get_a_policy_scoped_to_the_prefix_and_the_key" {
  command = plan

  variables {
    uploads_prefix       = "incoming/"
    uploader_policy_name = "sfp-uploader-euw1-dev"
  }

  # Finding 3: uploads need kms:GenerateDataKey (and kms:Decrypt for multipart) on the key.
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.uploader.statement : statement if statement.sid == "PutUploads"]).resources == toset(["arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/incoming/*"])
    error_message = "Uploaders may write only under the upload prefix."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.uploader.statement : statement if statement.sid == "PutUploads"]).actions == toset(["s3:PutObject", "s3:AbortMultipartUpload"])
    error_message = "Uploaders may put objects and abort their multipart uploads, nothing else on S3."
  }
  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.uploader.statement :
      statement.effect != "Deny" && statement.actions == toset(["kms:GenerateDataKey", "kms:Decrypt"]) && statement.resources == toset([aws_kms_key.this.arn])
      && [for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"] == ["StringEquals kms:ViaService s3.eu-west-1.amazonaws.com"]
      if statement.sid == "EncryptUploadsWithTheStackKey"
    ]) && contains([for statement in data.aws_iam_policy_document.uploader.statement : statement.sid], "EncryptUploadsWithTheStackKey")
    error_message = "Uploaders get kms:GenerateDataKey and kms:Decrypt on the stack's key, only through S3 of this region."
  }
  assert {
    condition     = aws_iam_policy.uploader[0].name == "sfp-uploader-euw1-dev"
    error_message = "uploader_policy_name creates the managed policy from the document."
  }
}

run "no_managed_uploader_policy_unless_named" {
  command = plan

  assert {
    condition     = length(aws_iam_policy.uploader) == 0 && output.uploader_policy_arn == null
    error_message = "Without uploader_policy_name no managed policy is created and the ARN output is null."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.uploader.statement : statement if statement.sid == "PutUploads"]).resources == toset(["arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*"])
    error_message = "The default prefix is the whole bucket."
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

run "rejects_an_alarm_pattern_that_is_not_an_alarm_arn" {
  command = plan
  variables {
    alarm_arn_patterns = ["sfp-*"]
  }
  expect_failures = [var.alarm_arn_patterns]
}

run "rejects_a_prefix_with_an_iam_wildcard" {
  command = plan
  variables {
    uploads_prefix = "incoming/*"
  }
  expect_failures = [var.uploads_prefix]
}

run "rejects_an_invalid_policy_name" {
  command = plan
  variables {
    uploader_policy_name = "has spaces"
  }
  expect_failures = [var.uploader_policy_name]
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
