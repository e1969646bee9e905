mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  # The mock cannot render policy documents; the assertions read the documents' statements.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

override_resource {
  target          = aws_sns_topic.results
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:sfp-results-euw1-dev" }
}

override_resource {
  target          = aws_sns_topic.failures
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev" }
}

override_resource {
  target          = aws_sns_topic.alerts
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:sfp-alerts-euw1-dev" }
}

variables {
  topic_names = {
    results  = "sfp-results-euw1-dev"
    failures = "sfp-failures-euw1-dev"
    alerts   = "sfp-alerts-euw1-dev"
  }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  publisher_role_arn = "arn:aws:iam::123456789012:role/sfp-processor-euw1-dev"
  alarm_arn_patterns = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:sfp-*-euw1-dev"]
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

run "every_topic_has_its_own_policy_denying_insecure_transport" {
  command = plan

  # Finding 5: no topic keeps SNS's default policy, and none accepts a request without TLS.
  assert {
    condition = [aws_sns_topic_policy.results.arn, aws_sns_topic_policy.failures.arn, aws_sns_topic_policy.alerts.arn] == [
      aws_sns_topic.results.arn, aws_sns_topic.failures.arn, aws_sns_topic.alerts.arn,
    ]
    error_message = "Each topic must get a policy of its own."
  }
  assert {
    condition = [
      for document in [data.aws_iam_policy_document.processor_topic["results"], data.aws_iam_policy_document.processor_topic["failures"], data.aws_iam_policy_document.alerts_topic] :
      toset(flatten([for statement in document.statement : tolist(statement.resources)]))
      ] == [
      toset(["arn:aws:sns:eu-west-1:123456789012:sfp-results-euw1-dev"]),
      toset(["arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev"]),
      toset(["arn:aws:sns:eu-west-1:123456789012:sfp-alerts-euw1-dev"]),
    ]
    error_message = "Each topic's policy must be about that topic only."
  }
  assert {
    condition = alltrue([
      for document in [data.aws_iam_policy_document.processor_topic["results"], data.aws_iam_policy_document.processor_topic["failures"], data.aws_iam_policy_document.alerts_topic] :
      length([
        for statement in document.statement : statement
        if statement.effect == "Deny" && contains(statement.actions, "sns:Publish") && contains(statement.actions, "sns:Subscribe") && contains(statement.actions, "sns:SetTopicAttributes")
        && contains([for principal in statement.principals : "${principal.type} ${join(",", principal.identifiers)}"], "AWS *")
        && [for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"] == ["Bool aws:SecureTransport false"]
      ]) == 1
    ])
    error_message = "Every topic policy must deny every topic action to everyone without TLS."
  }
}

run "only_the_processor_publishes_results_and_failures" {
  command = plan

  assert {
    condition = alltrue([
      for key in ["results", "failures"] :
      toset([
        for statement in data.aws_iam_policy_document.processor_topic[key].statement :
        "${coalesce(statement.effect, "Allow")} ${join(",", [for principal in statement.principals : "${principal.type}=${join(",", principal.identifiers)}"])} ${join(",", [for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"])}"
        if statement.actions == toset(["sns:Publish"])
        ]) == toset([
        "Allow AWS=arn:aws:iam::123456789012:role/sfp-processor-euw1-dev ",
        "Deny AWS=* ArnNotEquals aws:PrincipalArn arn:aws:iam::123456789012:role/sfp-processor-euw1-dev",
      ])
    ])
    error_message = "Results and failures: the processor's role may publish, every other principal is denied sns:Publish."
  }
  assert {
    condition = alltrue(flatten([
      for key in ["results", "failures"] : [
        for statement in data.aws_iam_policy_document.processor_topic[key].statement : statement.effect == "Deny" if length(statement.principals) > 0 && contains(flatten([for principal in statement.principals : principal.identifiers]), "*")
      ]
    ]))
    error_message = "No statement may allow everyone."
  }
}

run "alerts_accept_only_this_stacks_alarms" {
  command = plan

  assert {
    condition = [
      for statement in data.aws_iam_policy_document.alerts_topic.statement :
      [for condition in statement.condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"]
      if contains(flatten([for principal in statement.principals : principal.identifiers]), "cloudwatch.amazonaws.com")
      ] == [[
        "ArnLike aws:SourceArn arn:aws:cloudwatch:eu-west-1:123456789012:alarm:sfp-*-euw1-dev",
        "StringEquals aws:SourceAccount 123456789012",
    ]]
    error_message = "cloudwatch.amazonaws.com may publish to the alerts topic only for the stack's alarms, from this account."
  }
  assert {
    condition     = one([for statement in data.aws_iam_policy_document.alerts_topic.statement : statement.actions if statement.sid == "AllowCloudWatchAlarmsOfThisStack"]) == toset(["sns:Publish"])
    error_message = "CloudWatch may only publish."
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

run "rejects_a_publisher_that_is_not_a_role" {
  command = plan
  variables {
    publisher_role_arn = "arn:aws:iam::123456789012:user/someone"
  }
  expect_failures = [var.publisher_role_arn]
}

run "rejects_no_alarm_pattern" {
  command = plan
  variables {
    alarm_arn_patterns = []
  }
  expect_failures = [var.alarm_arn_patterns]
}
