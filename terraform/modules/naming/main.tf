# The one place where resource names are computed: <project>-<component>-<region-short>-<env>.
# Every other module receives finished names and only validates them against its service's limits.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # <geo><qualifier><direction><number>: "us-east-1" -> "use1", "ap-southeast-2" -> "apse2",
  # "eu-central-1" -> "euc1", "us-gov-west-1" -> "usgw1", "us-isob-east-1" -> "usibe1".
  # Qualifiers (the parts between the geography and the direction) are kept, shortened where
  # AWS's own ones have a well-known initial, so that partitions never collapse onto each other.
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
  qualifier_short = {
    gov  = "g"
    iso  = "i"
    isob = "ib"
    isoe = "ie"
    isof = "if"
  }

  region = data.aws_region.current.name

  # Short name of every known region and of the provider's own region (which may be newer than
  # the list). An unknown direction or qualifier is kept whole rather than cut, so it cannot
  # collide by truncation.
  region_parts = {
    for region in distinct(concat(local.known_regions, [local.region])) : region => split("-", region)
  }
  region_short_names = {
    for region, parts in local.region_parts : region => join("", concat(
      [parts[0]],
      [for qualifier in slice(parts, 1, length(parts) - 2) : lookup(local.qualifier_short, qualifier, qualifier)],
      [lookup(local.direction_short, parts[length(parts) - 2], parts[length(parts) - 2])],
      [parts[length(parts) - 1]],
    ))
  }
  region_short = local.region_short_names[local.region]

  # Regions whose short name another region of the list also has (empty when all are unique).
  region_short_collisions = {
    for short, regions in { for region, short in local.region_short_names : short => region... } :
    short => regions if length(regions) > 1
  }

  account_id = data.aws_caller_identity.current.account_id

  components = [
    "processor", "api", "results", "failures", "alerts", "idempotency", "key", "api-access",
    "error-rate", "throttles", "processor-duration", "api-duration", "api-5xx", "destination-failures",
    "failed-events-waiting", "failed-events-aging", "failed-events-undelivered",
    "dashboard", "apigw-cloudwatch", "uploader",
  ]
  names = {
    for component in local.components :
    component => lower("${var.project}-${component}-${local.region_short}-${var.environment}")
  }

  # Every alarm of this stack is named by this module (<project>-<component>-<region>-<env>), so
  # one ARN pattern covers them all: what the alerts topic and the key let CloudWatch act for.
  alarm_arn_pattern = "arn:${data.aws_partition.current.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${lower(var.project)}-*-${local.region_short}-${var.environment}"

  # Bucket names are global across all AWS accounts: the account id makes them unique.
  bucket_names = {
    uploads     = coalesce(var.bucket_name_overrides.uploads, lower("${var.project}-uploads-${local.region_short}-${var.environment}-${local.account_id}"))
    access_logs = coalesce(var.bucket_name_overrides.access_logs, lower("${var.project}-access-logs-${local.region_short}-${var.environment}-${local.account_id}"))
  }
}
