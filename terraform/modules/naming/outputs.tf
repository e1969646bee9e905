output "region" {
  description = "The region the provider is configured for (from the provider, never hard-coded)."
  value       = data.aws_region.current.name
}

output "region_short" {
  description = "Short region code used in names, e.g. use1 for us-east-1."
  value       = local.region_short
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
