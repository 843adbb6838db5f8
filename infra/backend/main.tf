# The remote state backend for ephemeral environments: an S3 bucket with versioning, encryption
# and native S3 state locking (use_lockfile, Terraform >= 1.10 and OpenTofu >= 1.10). It is
# permanent, so it does NOT use the dg- prefix and carries Protected=true: the janitor never
# considers it.

terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }
}

variable "state_bucket" {
  description = "Name of the state bucket (globally unique; never starting with dg-)."
  type        = string

  validation {
    condition     = !startswith(var.state_bucket, "dg-")
    error_message = "The state bucket must not use the janitor's dg- prefix."
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "managed-by" = "driftguard"
      "Protected"  = "true"
    }
  }
}

resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

output "state_bucket" {
  value = aws_s3_bucket.state.bucket
}
