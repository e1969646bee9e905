"""GitOps: the PR plan comment, apply reports, CI backend settings, workflow rehearsals, the
workflow linters and the workflows' JS helpers."""
