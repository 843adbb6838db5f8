variable "env_name" {
  description = "Name of the ephemeral environment, e.g. pr-123. Becomes the dg-env marker."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}$", var.env_name))
    error_message = "env_name must be lowercase letters, digits and dashes (at most 31 characters)."
  }
}

variable "ttl_hours" {
  description = "Hours the environment may live; the janitor removes it once dg-expires-at has passed."
  type        = number
  default     = 24

  validation {
    condition     = var.ttl_hours > 0 && var.ttl_hours <= 168
    error_message = "ttl_hours must be between 1 and 168 (the janitor's default max_ttl is 7 days)."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "instance_type" {
  description = "Instance type of the environment's runner."
  type        = string
  default     = "t3.micro"
}

variable "ami_id" {
  description = "AMI of the environment's runner."
  type        = string
}
