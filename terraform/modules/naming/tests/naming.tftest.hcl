mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "ap-southeast-2" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
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

run "region_short_names_are_unique_over_every_region_the_provider_knows" {
  command = plan

  assert {
    condition     = length(output.region_short_names) >= 43 && length(distinct(values(output.region_short_names))) == length(output.region_short_names)
    error_message = "Two regions share a short name: ${jsonencode(output.region_short_names)}."
  }
  assert {
    condition = [for region in ["us-east-1", "eu-central-1", "ap-southeast-2", "cn-northwest-1", "us-isob-east-1"] : output.region_short_names[region]] == [
      "use1", "euc1", "apse2", "cnnw1", "usibe1",
    ]
    error_message = "Short names keep the geography, qualifier initials, direction initials and number."
  }
}

run "gov_cloud_east_gets_its_own_short_name" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { name = "us-gov-east-1" }
  }

  assert {
    condition     = output.region_short == "usge1" && output.names["processor"] == "sfp-processor-usge1-prod"
    error_message = "us-gov-east-1 must shorten to usge1, got ${output.region_short}."
  }
}

run "gov_cloud_west_gets_another_short_name" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { name = "us-gov-west-1" }
  }

  assert {
    condition     = output.region_short == "usgw1"
    error_message = "us-gov-west-1 must shorten to usgw1 (not the same as us-gov-east-1), got ${output.region_short}."
  }
}

run "refuses_a_new_region_whose_short_name_is_taken" {
  command = plan

  # A region the list does not know whose short name would be us-gov-east-1's.
  override_data {
    target = data.aws_region.current
    values = { name = "usg-east-1" }
  }

  expect_failures = [output.region_short]
}

run "alarm_arn_pattern_covers_the_stacks_alarm_names" {
  command = plan

  assert {
    condition     = output.alarm_arn_pattern == "arn:aws:cloudwatch:ap-southeast-2:123456789012:alarm:sfp-*-apse2-prod"
    error_message = "The alarm pattern must be arn:<partition>:cloudwatch:<region>:<account>:alarm:<project>-*-<region-short>-<env>."
  }
  assert {
    condition     = startswith(output.names["error-rate"], "sfp-") && endswith(output.names["error-rate"], "-apse2-prod")
    error_message = "Alarm names must match the pattern."
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
