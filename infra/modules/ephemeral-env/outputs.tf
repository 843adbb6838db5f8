output "env_name" {
  value = var.env_name
}

output "expires_at" {
  description = "Unix epoch seconds after which the janitor removes the environment."
  value       = local.expiry_tags["dg-expires-at"]
}

output "artifacts_bucket" {
  value = aws_s3_bucket.artifacts.bucket
}
