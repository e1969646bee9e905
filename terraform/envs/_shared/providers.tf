# Shared by dev, staging and prod (symlinked); the local env has its own (emulator endpoints).

provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids

  default_tags {
    tags = {
      project     = var.project
      environment = var.environment
      managed-by  = "terraform"
      repository  = var.repository
    }
  }
}
