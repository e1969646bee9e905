# Only what differs from the shared defaults (../_shared/variables.tf).
environment         = "dev"
region              = "eu-west-1"
allowed_account_ids = ["111111111111"] # placeholder: the dev account id

processor = {
  reserved_concurrency = 5
}

handler_settings = {
  log_level = "DEBUG"
}

# Callers of POST /process: any principal of the dev account with an IAM permission.
api_invoke_access = {
  principals = ["111111111111"] # placeholder: the dev account id
}
