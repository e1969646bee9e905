terraform {
  # 1.11: S3 backend native locking (use_lockfile) is GA, and terraform test supports
  # override_during = plan.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100.0 is what the offline provider mirror holds (TERRAFORM_PROVIDER_MIRROR); the lock
      # file pins it. Bump both together.
      version = "~> 5.100"
    }
  }
}
