"""Custom checkov checks of serverless-file-processor (loaded with --external-checks-dir)."""
