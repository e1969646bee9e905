"""GitOps: the PR plan comment, the workflow linters and the workflows' JS helpers."""
