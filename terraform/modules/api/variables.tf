variable "api_name" {
  description = "Name of the REST API (also used for its access log group and stage resources)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,128}$", var.api_name))
    error_message = "api_name must be 1-128 characters of lowercase letters, digits and hyphens."
  }
}

variable "stage_name" {
  description = "Name of the deployment stage, part of the invoke URL."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 characters of letters, digits and '_'."
  }
}

variable "authorization" {
  description = "Authorization of POST /process. NONE is not allowed."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM"], var.authorization)
    error_message = "authorization must be AWS_IAM (NONE is never allowed; other authorizers are not wired in this module)."
  }
}

variable "function" {
  description = "The API function: its name (for the invoke permission) and invoke ARN (for the proxy integration)."
  type = object({
    name       = string
    invoke_arn = string
  })
}

variable "throttling" {
  description = "Stage-wide throttling (requests per second and burst)."
  type = object({
    rate_limit  = optional(number, 50)
    burst_limit = optional(number, 100)
  })
  default = {}

  validation {
    condition     = var.throttling.rate_limit > 0 && var.throttling.burst_limit >= 1 && var.throttling.burst_limit <= 5000 && var.throttling.rate_limit <= 10000
    error_message = "throttling: rate_limit must be in (0, 10000] and burst_limit in [1, 5000]."
  }
}

variable "logging_level" {
  description = "Execution logging level of the stage (data tracing is always off)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["INFO", "ERROR"], var.logging_level)
    error_message = "logging_level must be INFO or ERROR."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the access log group; one of CloudWatch Logs' allowed values. Defaults to one year; envs choose their own."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the access log group."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "cloudwatch_role_name" {
  description = "Name of the role API Gateway uses to write execution logs. null: the account-level setting (aws_api_gateway_account, one per account and region) is managed elsewhere."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_role_name == null ? true : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.cloudwatch_role_name))
    error_message = "cloudwatch_role_name must be a valid IAM role name (1-64 characters)."
  }
}

variable "invoke_access" {
  description = "Who may invoke POST /process (the API's resource policy). principals: 12-digit account ids (any principal of that account with an IAM permission) and IAM role/user ARNs; everyone else is denied, including principals of this account - an empty list denies every caller. vpc_endpoint_ids: execute-api interface endpoints (vpce-...); when set, the API becomes PRIVATE and requests from anywhere else are denied."
  type = object({
    principals       = optional(list(string), [])
    vpc_endpoint_ids = optional(list(string), [])
  })
  default = {}

  validation {
    condition = alltrue([
      for principal in var.invoke_access.principals :
      can(regex("^[0-9]{12}$", principal)) || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", principal))
    ])
    error_message = "invoke_access.principals must be 12-digit account ids or IAM role/user ARNs (arn:<partition>:iam::<account>:role/<name>); wildcards are not allowed in a policy's Principal."
  }

  validation {
    condition     = alltrue([for endpoint in var.invoke_access.vpc_endpoint_ids : can(regex("^vpce-[0-9a-f]{8,17}$", endpoint))])
    error_message = "invoke_access.vpc_endpoint_ids must be VPC endpoint ids (vpce-0123456789abcdef0)."
  }
}
