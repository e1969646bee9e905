project             = "sfp"
environment         = "staging"
region              = "eu-west-1"
allowed_account_ids = ["222222222222"] # placeholder: the staging account id
repository          = "github.com/example-org/serverless-file-processor"

log_retention_in_days = 365

processor = {
  memory_size          = 512
  timeout              = 300
  reserved_concurrency = 10
}

api_function = {
  memory_size          = 256
  timeout              = 20
  reserved_concurrency = 2
}

handler_settings = {
  max_object_bytes      = 1073741824
  max_sync_object_bytes = 52428800
  log_level             = "INFO"
}

api_throttling = {
  rate_limit  = 25
  burst_limit = 50
}

api_logging_level         = "INFO"
manage_apigateway_account = true

# Callers of POST /process: any principal of the staging account with an IAM permission.
api_invoke_access = {
  principals = ["222222222222"] # placeholder: the staging account id
}
