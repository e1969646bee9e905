# Saved CloudWatch Logs Insights queries, one per question the runbook asks (docs/runbook.md names
# them). They sit in a folder named like the dashboard (<dashboard>/<query>), so the console's
# "Saved queries" list shows one folder per env. Fields are those of the handler's structured
# logs (Powertools Logger: level, message, exception_name, object_key, version_id,
# correlation_id), of Lambda's platform lines (@type = "REPORT", @duration, @maxMemoryUsed;
# "[ERROR] <Exception>", "Task timed out", "Runtime.<Error>") and of the API access log format
# (modules/api/stage.tf).

locals {
  # Lines that mean an invocation failed even when the handler could not log it itself: an
  # unhandled exception (runtime "[ERROR]" line), a timeout, a runtime error such as out-of-memory.
  platform_errors = "/\\[ERROR\\]|Task timed out|Runtime\\.[A-Za-z]+/"

  queries = {
    processor-errors = {
      log_groups = [var.log_groups.processor]
      query      = <<-EOT
        fields @timestamp, @requestId, level, message, exception_name, object_key, version_id, correlation_id
        | filter level in ["ERROR", "CRITICAL"] or @message like ${local.platform_errors}
        | sort @timestamp desc
        | limit 200
      EOT
    }
    processor-errors-by-type = {
      log_groups = [var.log_groups.processor]
      query      = <<-EOT
        filter level in ["ERROR", "CRITICAL"] or @message like ${local.platform_errors}
        | parse @message /\[ERROR\]\s+(?<runtime_error>[A-Za-z0-9_.]+)/
        | parse @message /(?<platform_error>Task timed out|Runtime\.[A-Za-z]+)/
        | fields coalesce(exception_name, runtime_error, platform_error, message) as error
        | stats count(*) as occurrences, latest(@timestamp) as last_seen by error
        | sort occurrences desc
      EOT
    }
    object-trail = {
      log_groups = [var.log_groups.processor, var.log_groups.api]
      query      = <<-EOT
        fields @timestamp, @log, level, message, object_key, version_id, correlation_id, status, exception_name
        | filter ispresent(object_key)
        | sort @timestamp desc
        | limit 200
      EOT
    }
    api-errors = {
      log_groups = [var.log_groups.api]
      query      = <<-EOT
        fields @timestamp, @requestId, correlation_id, level, message, reason, error, exception_name, object_key
        | filter level in ["WARNING", "ERROR", "CRITICAL"] or @message like ${local.platform_errors}
        | sort @timestamp desc
        | limit 200
      EOT
    }
    api-5xx-requests = {
      log_groups = [var.log_groups.api_access]
      query      = <<-EOT
        fields @timestamp, requestId, httpMethod, resourcePath, status, integrationStatus, errorMessage, integrationLatency, responseLatency, userArn
        | filter status like /^5/
        | sort @timestamp desc
        | limit 200
      EOT
    }
    slowest-invocations = {
      log_groups = [var.log_groups.processor, var.log_groups.api]
      query      = <<-EOT
        filter @type = "REPORT"
        | fields @timestamp, @log, @requestId, @duration, @billedDuration, @initDuration, @maxMemoryUsed / 1048576 as max_memory_mib, @memorySize / 1048576 as memory_mib
        | sort @duration desc
        | limit 50
      EOT
    }
    invocations-per-minute = {
      log_groups = [var.log_groups.processor, var.log_groups.api]
      query      = <<-EOT
        filter @type = "REPORT"
        | stats count(*) as invocations, max(@duration) as max_duration_ms by bin(1m), @log
      EOT
    }
  }
}

resource "aws_cloudwatch_query_definition" "this" {
  for_each = local.queries

  name            = "${var.names.dashboard}/${each.key}"
  log_group_names = each.value.log_groups
  # No trailing newline: what the service stores and returns is compared with this on every plan.
  query_string = trimspace(each.value.query)
}
