# An environment root, as the janitor's terraform.workdir template expects
# (infra/envs/{env}): copy this folder to infra/envs/<env-name> and set env_name to match.

terraform {
  required_version = ">= 1.10.0"

  backend "s3" {
    bucket       = "acme-driftguard-tfstate"
    key          = "ephemeral/example/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}

module "env" {
  source    = "../../modules/ephemeral-env"
  env_name  = "example"
  ttl_hours = 24
  ami_id    = "ami-0123456789abcdef0"
}

output "expires_at" {
  value = module.env.expires_at
}
