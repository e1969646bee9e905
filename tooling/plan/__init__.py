"""A saved plan as the tooling reads it (`terraform show -json`): its summary and the
destroy/replace guard."""
