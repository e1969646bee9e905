# The one place where resource names are computed: <project>-<component>-<region-short>-<env>.
# Every other module receives finished names and only validates them against its service's limits.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # "us-east-1" -> "use1", "ap-southeast-2" -> "apse2", "eu-central-1" -> "euc1".
  direction_short = {
    north     = "n"
    south     = "s"
    east      = "e"
    west      = "w"
    central   = "c"
    northeast = "ne"
    northwest = "nw"
    southeast = "se"
    southwest = "sw"
  }
  region_parts = split("-", data.aws_region.current.name)
  region_short = join("", [
    local.region_parts[0],
    lookup(local.direction_short, local.region_parts[1], substr(local.region_parts[1], 0, 2)),
    local.region_parts[length(local.region_parts) - 1],
  ])

  account_id = data.aws_caller_identity.current.account_id

  components = [
    "processor", "api", "results", "failures", "alerts", "idempotency", "key", "api-access",
    "error-rate", "throttles", "processor-duration", "api-duration", "api-5xx", "destination-failures",
    "dashboard", "apigw-cloudwatch",
  ]
  names = {
    for component in local.components :
    component => lower("${var.project}-${component}-${local.region_short}-${var.environment}")
  }

  # Bucket names are global across all AWS accounts: the account id makes them unique.
  bucket_names = {
    uploads     = coalesce(var.bucket_name_overrides.uploads, lower("${var.project}-uploads-${local.region_short}-${var.environment}-${local.account_id}"))
    access_logs = coalesce(var.bucket_name_overrides.access_logs, lower("${var.project}-access-logs-${local.region_short}-${var.environment}-${local.account_id}"))
  }
}
