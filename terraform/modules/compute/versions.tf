terraform {
  # 1.9: validation blocks may refer to other variables. Tests use mock providers (1.7+).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
