mock_provider "aws" {
  override_during = plan
}

variables {
  topic_names = {
    results  = "sfp-results-euw1-dev"
    failures = "sfp-failures-euw1-dev"
    alerts   = "sfp-alerts-euw1-dev"
  }
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "three_encrypted_topics_with_the_given_names" {
  command = plan

  assert {
    condition = [aws_sns_topic.results.name, aws_sns_topic.failures.name, aws_sns_topic.alerts.name] == [
      "sfp-results-euw1-dev", "sfp-failures-euw1-dev", "sfp-alerts-euw1-dev",
    ]
    error_message = "Topics must be named results, failures and alerts as given."
  }
  assert {
    condition = alltrue([
      for topic in [aws_sns_topic.results, aws_sns_topic.failures, aws_sns_topic.alerts] :
      topic.kms_master_key_id == var.kms_key_arn
    ])
    error_message = "Every topic must be encrypted with the customer-managed key."
  }
  assert {
    condition     = length(aws_sns_topic_subscription.alert_email) == 0
    error_message = "No subscription is created unless addresses are given."
  }
}

run "subscribes_alert_addresses" {
  command = plan

  variables {
    alert_email_addresses = ["oncall@example.com"]
  }

  assert {
    condition     = aws_sns_topic_subscription.alert_email["oncall@example.com"].protocol == "email"
    error_message = "Alert addresses must be subscribed by email."
  }
}

run "rejects_an_invalid_topic_name" {
  command = plan
  variables {
    topic_names = { results = "has spaces", failures = "f", alerts = "a" }
  }
  expect_failures = [var.topic_names]
}

run "rejects_a_key_id_instead_of_an_arn" {
  command = plan
  variables {
    kms_key_arn = "11111111-2222-3333-4444-555555555555"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_an_invalid_email" {
  command = plan
  variables {
    alert_email_addresses = ["not-an-address"]
  }
  expect_failures = [var.alert_email_addresses]
}
