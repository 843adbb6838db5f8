import { devNull } from 'node:os';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { Deps, ExecResult } from './deps-types.ts';
import { describeError } from './errors.ts';

/** Environment of every Terraform (or OpenTofu) command DriftGuard runs: no prompts, CI output. */
export const TERRAFORM_ENV = { TF_IN_AUTOMATION: '1', TF_INPUT: '0' };

/** The most telling line of Terraform's error output ("Error acquiring the state lock", ...). */
export function firstError(output: string): string {
  const lines = output.split('\n').map((l) => l.replace(/^[│╷╵\s]+/, '').trim()).filter(Boolean);
  return (lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? 'no output').replace(/^Error:\s*/, '');
}

export interface TerraformRun {
  binary: string;
  dir: string;
  timeoutMs: number;
  /** The time limit as the policy wrote it, for messages. */
  timeout: string;
  /**
   * The AWS account (its role in `auth.aws.roles`, else the default role) and region the command
   * acts in. Where OIDC credentials are in use for AWS, the command gets those and no other.
   */
  aws?: { region?: string; account?: string };
}

/**
 * Every variable by which an AWS SDK or the Terraform AWS provider (and its S3 backend) would find
 * credentials other than the keys handed over: profiles, legacy key names, container and instance
 * metadata endpoints, a web-identity token file and role. Removed from the command's environment.
 */
export const AWS_AMBIENT_SOURCES = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'AWS_SECURITY_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
] as const;

/**
 * The AWS part of a Terraform command's environment where OIDC is in use: exactly these
 * short-lived keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the region
 * when one is known (AWS_REGION and AWS_DEFAULT_REGION), the shared credentials and config files
 * pointed at the null device (no profile, no credential_process, no SSO), instance metadata
 * switched off (AWS_EC2_METADATA_DISABLED=true) and every name in AWS_AMBIENT_SOURCES removed
 * (undefined: left out of the child's environment).
 */
export function awsTerraformEnv(credentials: AwsCredentialIdentity, region?: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = Object.fromEntries(AWS_AMBIENT_SOURCES.map((name) => [name, undefined]));
  return {
    ...env,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
    AWS_CONFIG_FILE: devNull,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(region ? { AWS_REGION: region, AWS_DEFAULT_REGION: region } : {}),
  };
}

/**
 * The environment of one Terraform command: TERRAFORM_ENV, plus, where `run.aws` is set and OIDC
 * credentials are in use for AWS, those credentials and no other source (see `awsTerraformEnv`),
 * resolved now so they outlive the command's time limit where the session allows. Where OIDC is
 * not in use, the standard chains as before. Throws when OIDC is required but no credentials can
 * be had (DriftGuardError `auth_refused`, or the exchange's failure).
 */
export async function terraformEnv(deps: Deps, run: TerraformRun): Promise<Record<string, string | undefined>> {
  if (!run.aws || !deps.clouds.awsTerraformEnv) return TERRAFORM_ENV;
  const aws = await deps.clouds.awsTerraformEnv({ ...run.aws, minLifetimeMs: run.timeoutMs });
  return aws ? { ...aws, ...TERRAFORM_ENV } : TERRAFORM_ENV;
}

/** Why Terraform cannot have AWS credentials for `run`, or undefined when it can (or needs none of ours). */
export async function terraformCredentialsProblem(deps: Deps, run: TerraformRun): Promise<string | undefined> {
  try {
    await terraformEnv(deps, run);
    return undefined;
  } catch (err) {
    return `no AWS credentials for Terraform from the OIDC exchange${run.aws?.account ? ` for account ${run.aws.account}` : ''}: ${describeError(err)}`;
  }
}

/** Runs one Terraform command; a failure comes back as the reason, success as the command's result. */
export async function terraform(deps: Deps, run: TerraformRun, args: string[]): Promise<{ ok: true; result: ExecResult } | { ok: false; reason: string; result: ExecResult }> {
  const command = `terraform ${args[0]}`;
  let env: Record<string, string | undefined>;
  try {
    env = await terraformEnv(deps, run);
  } catch (err) {
    const reason = `${command} was not run: no AWS credentials for Terraform from the OIDC exchange${run.aws?.account ? ` for account ${run.aws.account}` : ''}: ${describeError(err)}`;
    return { ok: false, reason, result: { code: null, stdout: '', stderr: '', timedOut: false } };
  }
  const result = await deps.exec(run.binary, args, { cwd: run.dir, timeoutMs: run.timeoutMs, env });
  if (result.spawnError) return { ok: false, reason: `cannot run ${run.binary}: ${result.spawnError}`, result };
  if (result.timedOut) return { ok: false, reason: `${command} timed out after ${run.timeout}`, result };
  return { ok: true, result };
}

/** `terraform init`, with the failure's reason. */
export async function terraformInit(deps: Deps, run: TerraformRun): Promise<string | undefined> {
  const init = await terraform(deps, run, ['init', '-input=false', '-no-color']);
  if (!init.ok) return init.reason;
  if (init.result.code !== 0) return `terraform init failed: ${firstError(init.result.stderr || init.result.stdout)}`;
  return undefined;
}
