import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { Storage } from '@google-cloud/storage';
import { oidcAvailable } from './auth/oidc-env.ts';
import type { Deps } from './deps.ts';
import type { AuthSettings } from './policy/schema.ts';
import { durationMs } from './policy/types.ts';
import { withRetry } from './retry.ts';

/**
 * Cloud SDK clients, built on first use. Inside GitHub Actions with OIDC set up they run on
 * short-lived credentials from the job's token; elsewhere on each cloud's standard chain. Each
 * SDK's own retries are off: every call goes through DriftGuard's one retry helper instead.
 */
export interface CloudClients {
  /** The AWS account the credentials belong to (STS GetCallerIdentity). */
  awsAccount(options: { region: string; endpoint?: string; account?: string }): Promise<string>;
  s3(options: { region: string; endpoint?: string; forcePathStyle?: boolean; account?: string }): Promise<S3Client>;
  ec2(options: { region: string; endpoint?: string; account?: string }): Promise<EC2Client>;
  azureResources(options: { subscription: string; endpoint?: string }): Promise<ResourceManagementClient>;
  gcs(options: { project: string; endpoint?: string }): Promise<Storage>;
}

const DEFAULT_AUTH: AuthSettings = { require_oidc: 'auto', aws: { roles: {}, session_duration: '15m' }, azure: {}, gcp: {} };

export function defaultCloudClients(deps: Deps, auth: AuthSettings = DEFAULT_AUTH): CloudClients {
  const oidc = oidcAvailable(deps.env);
  const providers = new Map<string, AwsCredentialIdentityProvider>();

  /** The role for an account: per-account map, then AWS_ROLE_TO_ASSUME, then the policy's role. */
  const awsCredentials = async (region: string, account?: string): Promise<AwsCredentialIdentityProvider | undefined> => {
    const role = (account ? auth.aws.roles[account] : undefined) ?? deps.env.AWS_ROLE_TO_ASSUME ?? auth.aws.role_arn;
    if (!oidc || !role) return undefined;
    let provider = providers.get(role);
    if (!provider) {
      const { webIdentityCredentials, sessionName } = await import('./auth/aws.ts');
      provider = webIdentityCredentials(deps, { roleArn: role, region, stsEndpoint: auth.aws.sts_endpoint, durationSeconds: Math.round(durationMs(auth.aws.session_duration) / 1000), sessionName: sessionName(deps.env) });
      providers.set(role, provider);
    }
    return provider;
  };

  return {
    async awsAccount({ region, endpoint, account }) {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const credentials = await awsCredentials(region, account);
      const sts = new STSClient({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
      // STS throttles with 400 Throttling: the account check is retried like every other call.
      const out = await withRetry(() => sts.send(new GetCallerIdentityCommand({})), { retries: 5, minDelayMs: 200, maxDelayMs: 8000, maxElapsedMs: 60_000 });
      return out.Account ?? '';
    },
    async s3({ region, endpoint, forcePathStyle, account }) {
      const { S3Client } = await import('@aws-sdk/client-s3');
      const credentials = await awsCredentials(region, account);
      return new S3Client({
        region,
        maxAttempts: 1,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        ...(endpoint ? { endpoint } : {}),
        ...(forcePathStyle ? { forcePathStyle: true } : {}),
        ...(credentials ? { credentials } : {}),
      });
    },
    async ec2({ region, endpoint, account }) {
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      const credentials = await awsCredentials(region, account);
      return new EC2Client({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
    },
    async azureResources({ subscription, endpoint }) {
      const { ResourceManagementClient } = await import('@azure/arm-resources');
      let credential;
      if (oidc && deps.env.AZURE_CLIENT_ID && deps.env.AZURE_TENANT_ID) {
        const { federatedAzureCredential } = await import('./auth/azure.ts');
        credential = await federatedAzureCredential(deps, auth.azure.authority_host ? { authorityHost: auth.azure.authority_host } : {});
      } else {
        const { DefaultAzureCredential } = await import('@azure/identity');
        credential = new DefaultAzureCredential();
      }
      return new ResourceManagementClient(credential, subscription, { ...(endpoint ? { endpoint } : {}), retryOptions: { maxRetries: 0 } });
    },
    async gcs({ project, endpoint }) {
      const { Storage } = await import('@google-cloud/storage');
      const federated = oidc && deps.env.GCP_WORKLOAD_IDENTITY_PROVIDER && deps.env.GCP_SERVICE_ACCOUNT;
      const authClient = federated
        ? await (await import('./auth/gcp.ts')).federatedGoogleAuth(deps, { tokenUrl: auth.gcp.token_url, iamCredentialsUrl: auth.gcp.iam_credentials_url })
        : undefined;
      return new Storage({
        projectId: project,
        retryOptions: { autoRetry: false },
        ...(endpoint ? { apiEndpoint: endpoint, useAuthWithCustomEndpoint: Boolean(authClient) } : {}),
        ...(authClient ? { authClient: authClient as never } : {}),
      });
    },
  };
}
