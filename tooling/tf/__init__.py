"""Running Terraform: the one python-terraform wrapper, its CLI config and plugin cache."""
