# Only what differs from the shared defaults (../_shared/variables.tf).
environment         = "staging"
region              = "eu-west-1"
allowed_account_ids = ["222222222222"] # placeholder: the staging account id

api_throttling = {
  rate_limit  = 25
  burst_limit = 50
}

# Callers of POST /process: any principal of the staging account with an IAM permission.
api_invoke_access = {
  principals = ["222222222222"] # placeholder: the staging account id
}
