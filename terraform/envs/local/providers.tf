# The local env differs from the others only here and in backend.tf: every service endpoint
# points at the local emulator (moto server), with fake credentials and no AWS account checks.

variable "emulator_endpoint" {
  description = "URL of the local AWS emulator (moto server), set by the tooling, e.g. http://127.0.0.1:51234."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/]+$", var.emulator_endpoint))
    error_message = "emulator_endpoint must be a base URL such as http://127.0.0.1:51234."
  }
}

provider "aws" {
  region = var.region
  # No allowed_account_ids here: with skip_requesting_account_id the provider cannot learn the
  # account id and rejects any allow-list ("AWS account ID not allowed: "). Every endpoint below
  # is the emulator, so no real account can be reached anyway. var.allowed_account_ids keeps
  # moto's account for the emulated overrides of the real envs.

  # Fake credentials: the emulator accepts any.
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    apigateway = var.emulator_endpoint
    cloudwatch = var.emulator_endpoint
    dynamodb   = var.emulator_endpoint
    iam        = var.emulator_endpoint
    kms        = var.emulator_endpoint
    lambda     = var.emulator_endpoint
    logs       = var.emulator_endpoint
    s3         = var.emulator_endpoint
    sns        = var.emulator_endpoint
    sqs        = var.emulator_endpoint
    sts        = var.emulator_endpoint
  }

  default_tags {
    tags = {
      project     = var.project
      environment = var.environment
      managed-by  = "terraform"
      repository  = var.repository
    }
  }
}
