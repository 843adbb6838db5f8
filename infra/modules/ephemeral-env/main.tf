# One ephemeral environment. Every resource is named with the dg- prefix and carries the
# janitor's markers: dg-env (provider default_tags) and dg-expires-at (computed once, at creation,
# so later plans do not move it). Destroying this module is the janitor's phase 1, from a saved
# `terraform plan -destroy` whose every resource the janitor has checked as expired and its own.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "dg-env"     = var.env_name
      "managed-by" = "driftguard"
    }
  }
}

resource "time_static" "created" {}

locals {
  prefix = "dg-${var.env_name}"
  # Unix epoch seconds: the one format every cloud's tag and label alphabet accepts.
  expiry_tags = {
    "dg-expires-at" = tostring(time_static.created.unix + var.ttl_hours * 3600)
  }
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "${local.prefix}-artifacts"
  force_destroy = true
  tags          = merge(local.expiry_tags, { Name = "${local.prefix}-artifacts" })
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_instance" "runner" {
  ami           = var.ami_id
  instance_type = var.instance_type
  tags          = merge(local.expiry_tags, { Name = "${local.prefix}-runner" })
}
