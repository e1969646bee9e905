# Only what differs from the shared defaults (../_shared/variables.tf).
environment         = "prod"
region              = "us-east-1"
allowed_account_ids = ["333333333333"] # placeholder: the prod account id

log_retention_in_days = 731

processor = {
  memory_size          = 1024
  timeout              = 600
  reserved_concurrency = 50
}

api_function = {
  memory_size          = 512
  reserved_concurrency = 20
}

handler_settings = {
  max_object_bytes      = 5368709120
  max_sync_object_bytes = 104857600
}

api_throttling = {
  rate_limit  = 50
  burst_limit = 100
}

api_logging_level = "ERROR"

# Callers of POST /process: only the role(s) that need it.
api_invoke_access = {
  principals = ["arn:aws:iam::333333333333:role/sfp-api-caller"] # placeholder: the prod caller role
}
