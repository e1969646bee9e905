project             = "sfp"
environment         = "local"
region              = "us-east-1"
allowed_account_ids = ["123456789012"] # moto's default account
repository          = "github.com/example-org/serverless-file-processor"

log_retention_in_days = 365

processor = {
  memory_size          = 512
  timeout              = 300
  reserved_concurrency = 2
}

api_function = {
  memory_size          = 256
  timeout              = 20
  reserved_concurrency = 2
}

handler_settings = {
  max_object_bytes      = 104857600
  max_sync_object_bytes = 10485760
  log_level             = "DEBUG"
}

api_throttling = {
  rate_limit  = 10
  burst_limit = 20
}

api_logging_level         = "INFO"
manage_apigateway_account = true

# Callers of POST /process: the emulator's account (moto's default).
api_invoke_access = {
  principals = ["123456789012"]
}
