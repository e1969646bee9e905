mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "ap-southeast-2" }
  }
}

variables {
  project     = "sfp"
  environment = "prod"
}

run "names_follow_project_component_region_env" {
  command = plan

  assert {
    condition     = output.region_short == "apse2"
    error_message = "ap-southeast-2 must shorten to apse2."
  }
  assert {
    condition     = output.names["processor"] == "sfp-processor-apse2-prod"
    error_message = "Names must be <project>-<component>-<region-short>-<env>."
  }
  assert {
    condition     = alltrue([for name in values(output.names) : can(regex("^[a-z0-9-]+$", name)) && length(name) <= 64])
    error_message = "Every name must be lowercase, hyphens only, and fit Lambda's and IAM's 64 characters."
  }
  assert {
    condition     = output.bucket_names.uploads == "sfp-uploads-apse2-prod-123456789012"
    error_message = "The uploads bucket name must include the account id."
  }
  assert {
    condition     = alltrue([for name in values(output.bucket_names) : length(name) <= 63])
    error_message = "Bucket names must fit S3's 63 characters."
  }
}

run "bucket_name_override_wins" {
  command = plan

  variables {
    bucket_name_overrides = { uploads = "my-explicit-uploads" }
  }

  assert {
    condition     = output.bucket_names.uploads == "my-explicit-uploads" && output.bucket_names.access_logs == "sfp-access-logs-apse2-prod-123456789012"
    error_message = "An override replaces only the overridden bucket's name."
  }
}

run "rejects_an_uppercase_project" {
  command = plan
  variables {
    project = "SFP"
  }
  expect_failures = [var.project]
}

run "rejects_an_unknown_environment" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
}

run "rejects_an_invalid_bucket_override" {
  command = plan
  variables {
    bucket_name_overrides = { access_logs = "Bad_Name" }
  }
  expect_failures = [var.bucket_name_overrides]
}
