# Shared by every env root (symlinked). On the emulator (local, and any env with --emulated) the
# tooling's generated emulator_override.tf points this provider at moto: tooling/emulator/override.py.

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
