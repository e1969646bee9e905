project             = "sfp"
environment         = "dev"
region              = "eu-west-1"
allowed_account_ids = ["111111111111"] # placeholder: the dev account id
repository          = "github.com/example-org/serverless-file-processor"

log_retention_in_days = 365

processor = {
  memory_size          = 512
  timeout              = 300
  reserved_concurrency = 5
}

api_function = {
  memory_size          = 256
  timeout              = 20
  reserved_concurrency = 2
}

handler_settings = {
  max_object_bytes      = 1073741824
  max_sync_object_bytes = 52428800
  log_level             = "DEBUG"
}

api_throttling = {
  rate_limit  = 10
  burst_limit = 20
}

api_logging_level         = "INFO"
manage_apigateway_account = true

# Callers of POST /process: any principal of the dev account with an IAM permission.
api_invoke_access = {
  principals = ["111111111111"] # placeholder: the dev account id
}
