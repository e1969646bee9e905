# Only what differs from the shared defaults (../_shared/variables.tf). The emulator endpoint comes
# from the provider override the tooling generates in the work dir (tooling/emulator/override.py),
# and bucket_lifecycle_rules = false from its -var; neither is set here.
environment         = "local"
region              = "us-east-1"
allowed_account_ids = ["123456789012"] # moto's default account

processor = {
  reserved_concurrency = 2
}

handler_settings = {
  max_object_bytes      = 104857600 # 100 MiB: the emulator keeps objects in memory
  max_sync_object_bytes = 10485760
  log_level             = "DEBUG"
}

# Callers of POST /process: the emulator's account (moto's default).
api_invoke_access = {
  principals = ["123456789012"]
}
