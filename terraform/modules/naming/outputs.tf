output "region" {
  description = "The region the provider is configured for (from the provider, never hard-coded)."
  value       = data.aws_region.current.name
}

output "region_short" {
  description = "Short region code used in names, e.g. use1 for us-east-1, usgw1 for us-gov-west-1; unique over every region the provider knows."
  value       = local.region_short

  precondition {
    condition     = length(local.region_short_collisions) == 0
    error_message = "Region short names must be unique, but these regions would share one: ${jsonencode(local.region_short_collisions)}. Add the region's qualifier or direction to the naming module's maps."
  }
}

output "account_id" {
  description = "The AWS account id the provider is using."
  value       = local.account_id
}

output "names" {
  description = "Map of component to resource name <project>-<component>-<region-short>-<env>."
  value       = local.names
}

output "bucket_names" {
  description = "Globally unique bucket names (uploads, access_logs): the account id is included unless overridden."
  value       = local.bucket_names
}

output "alarm_arn_pattern" {
  description = "ArnLike pattern matching every CloudWatch alarm this stack names (arn:<partition>:cloudwatch:<region>:<account>:alarm:<project>-*-<region-short>-<env>), for aws:SourceArn conditions."
  value       = local.alarm_arn_pattern
}

output "region_short_names" {
  description = "Short name of every region the provider knows (and of the provider's own region), as region => short name: the table region_short is taken from."
  value       = local.region_short_names
}
