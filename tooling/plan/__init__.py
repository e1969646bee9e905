"""A saved plan as the tooling reads it (`terraform show -json`): the one plan model, its summary,
the destroy/replace guard, secret redaction, and the reviewed-plan record."""
