"""The `check` steps (ruff, terraform, checkov, workflow linters) and the `test` suite."""
