import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The folder above registry.terraform.io that holds hashicorp/aws 5.100.0 on this machine kind. */
export const PROVIDER_MIRROR = '/opt/tf-plugins';

/**
 * A Terraform CLI configuration that installs providers from the local mirror only (no network),
 * and the environment that points Terraform at it.
 */
export function terraformCliEnv(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'terraform.rc');
  writeFileSync(file, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(PROVIDER_MIRROR)}\n  }\n}\n`);
  return { TF_CLI_CONFIG_FILE: file, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
}

/**
 * The real hashicorp/aws provider, pointed at a local AWS emulator (moto) on loopback, for the
 * given services (S3, STS and EC2 unless told), with a local backend when `backend` is set.
 */
export function awsProviderBlock(endpoint: string, options: { services?: string[]; backend?: boolean } = {}): string {
  const services = options.services ?? ['s3', 'sts', 'ec2'];
  return `terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }${options.backend ? '\n  backend "local" {}' : ''}
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {
${services.map((s) => `    ${s.padEnd(3)} = ${JSON.stringify(endpoint)}`).join('\n')}
  }
}
`;
}

export interface TfBucket {
  /** The Terraform resource name (aws_s3_bucket.<resource>). */
  resource: string;
  bucket: string;
  tags: Record<string, string>;
}

/** A Terraform root of S3 buckets, written and applied for real (init, apply) in `dir`. */
export async function applyBuckets(dir: string, endpoint: string, buckets: TfBucket[], env: Record<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const resources = buckets.map(
    (b) => `resource "aws_s3_bucket" "${b.resource}" {
  bucket        = ${JSON.stringify(b.bucket)}
  force_destroy = true
  tags          = ${JSON.stringify(b.tags)}
}
`,
  );
  writeFileSync(join(dir, 'main.tf'), `${awsProviderBlock(endpoint)}\n${resources.join('\n')}`);
  const run = promisify(execFile);
  const options = { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 };
  await run('terraform', ['init', '-input=false', '-no-color'], options);
  await run('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], options);
}

/** `terraform state list` of a root. */
export async function stateList(dir: string, env: Record<string, string>): Promise<string[]> {
  const { stdout } = await promisify(execFile)('terraform', ['state', 'list'], { cwd: dir, env: { ...process.env, ...env } });
  return stdout.split('\n').filter(Boolean).sort();
}
