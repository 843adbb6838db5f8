import type { ResourceManagementClient } from '@azure/arm-resources';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';

/**
 * Cloud SDK clients, built on first use. Where OIDC is required (inside GitHub Actions unless
 * `auth.require_oidc: never`, everywhere with `always`) they run only on short-lived credentials
 * from the job's token, or fail with DriftGuardError `auth_refused`; elsewhere on each cloud's
 * standard chain (a role is still assumed with OIDC when a token is there). Each
 * SDK's own retries are off: every call goes through DriftGuard's one retry helper instead.
 */
export interface CloudClients {
  /** The AWS account the credentials belong to (STS GetCallerIdentity). */
  awsAccount(options: { region: string; endpoint?: string; account?: string }): Promise<string>;
  s3(options: { region: string; endpoint?: string; forcePathStyle?: boolean; account?: string }): Promise<S3Client>;
  ec2(options: { region: string; endpoint?: string; account?: string }): Promise<EC2Client>;
  /** The Resource Groups Tagging API of one region (GetResources: tags of many resources per call). */
  tagging(options: { region: string; endpoint?: string; account?: string }): Promise<ResourceGroupsTaggingAPIClient>;
  /**
   * The AWS variables of a Terraform command's environment (see src/terraform.ts
   * `awsTerraformEnv`) where OIDC credentials are in use for AWS (the same condition as for the
   * SDK clients: a role for the account, and a token or OIDC required): keys from the same
   * provider the clients use, with at least `minLifetimeMs` left where the session allows.
   * Undefined where OIDC is not in use (Terraform keeps the standard chains), which includes no
   * role at all when no account is named. Rejects with DriftGuardError `auth_refused` where OIDC
   * is required and the named account has no role, or with the exchange's failure.
   */
  awsTerraformEnv?(options: { region?: string; account?: string; minLifetimeMs?: number }): Promise<Record<string, string | undefined> | undefined>;
  azureResources(options: { subscription: string; endpoint?: string }): Promise<ResourceManagementClient>;
  gcs(options: { project: string; endpoint?: string }): Promise<Storage>;
}
