# Partial S3 backend configuration: bucket, key (one per env, e.g. serverless-file-processor/<env>/terraform.tfstate)
# and region come from `terraform init -backend-config=...` (the tooling passes them per env).
# State is encrypted at rest and locked with S3 native lock files (Terraform >= 1.10; no DynamoDB).
# On the emulator (local, --emulated) the generated emulator_override.tf replaces it with a local
# backend under .work/ (tooling/emulator/override.py).
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
