# State of the local env lives in the git-ignored per-env work dir of the repository.
terraform {
  backend "local" {
    path = "../../../.work/local/terraform.tfstate"
  }
}
