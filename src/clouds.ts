import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { Storage } from '@google-cloud/storage';
import { awsRoleFor, oidcAvailable, oidcRequired } from './auth/oidc-env.ts';
import type { CloudClients } from './clouds-types.ts';
import type { Deps } from './deps-types.ts';
import { DriftGuardError } from './errors.ts';
import type { AuthSettings } from './policy/schema.ts';
import { durationMs } from './policy/types.ts';
import { withRetry } from './retry.ts';

export type { CloudClients } from './clouds-types.ts';

const DEFAULT_AUTH: AuthSettings = { require_oidc: 'auto', aws: { roles: {}, session_duration: '15m' }, azure: {}, gcp: {} };

/**
 * Where the AWS default chain would have looked besides keys: named in the refusal so the user
 * sees what DriftGuard declined to use.
 */
function ambientAws(env: Deps['env']): string {
  const places = ['AWS_ACCESS_KEY_ID', '~/.aws/credentials and ~/.aws/config', 'credential_process'];
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) places.push(`the container credentials endpoint (${env.AWS_CONTAINER_CREDENTIALS_FULL_URI ? 'AWS_CONTAINER_CREDENTIALS_FULL_URI' : 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'})`);
  if (env.AWS_EC2_METADATA_DISABLED !== 'true') places.push('instance metadata');
  return places.join(', ');
}

export function defaultCloudClients(deps: Deps, auth: AuthSettings = DEFAULT_AUTH): CloudClients {
  const oidc = oidcAvailable(deps.env);
  // Where OIDC is required, every client gets credentials from the exchange or a refusal: never
  // undefined, which would let the SDK fall back to its default chain (keys, profiles, process
  // credentials, container or instance metadata).
  const required = oidcRequired(deps.env, auth);
  const providers = new Map<string, AwsCredentialIdentityProvider>();
  const refuse = (message: string) => new DriftGuardError('auth_refused', message);
  const inside = deps.env.GITHUB_ACTIONS === 'true' ? 'inside GitHub Actions' : 'with auth.require_oidc: always';

  const awsCredentials = async (region: string, account?: string): Promise<AwsCredentialIdentityProvider | undefined> => {
    const role = awsRoleFor(deps.env, auth, account);
    if (!role) {
      if (!required) return undefined;
      const { SETUP } = await import('./auth/require-oidc.ts');
      const error = refuse(`no AWS role to assume${account ? ` for account ${account}` : ''}: ${inside} AWS credentials come only from the OIDC exchange, never from ${ambientAws(deps.env)}; ${SETUP.aws}`);
      return async () => {
        throw error;
      };
    }
    if (!oidc && !required) return undefined;
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
    async tagging({ region, endpoint, account }) {
      const { ResourceGroupsTaggingAPIClient } = await import('@aws-sdk/client-resource-groups-tagging-api');
      const credentials = await awsCredentials(region, account);
      return new ResourceGroupsTaggingAPIClient({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
    },
    async awsTerraformEnv({ region, account, minLifetimeMs }) {
      // No role set up and no account to act in (drift): OIDC is not in use for AWS, as before.
      // For an account (the janitor's proven one) a missing role is refused where OIDC is required.
      if (account === undefined && !awsRoleFor(deps.env, auth)) return undefined;
      const credentials = await awsCredentials(region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? 'us-east-1', account);
      if (!credentials) return undefined;
      const { awsTerraformEnv } = await import('./terraform.ts');
      return awsTerraformEnv(await credentials({ minLifetimeMs }), region);
    },
    async azureResources({ subscription, endpoint }) {
      const { ResourceManagementClient } = await import('@azure/arm-resources');
      let credential;
      const federation = Boolean(deps.env.AZURE_CLIENT_ID && deps.env.AZURE_TENANT_ID);
      if (required && !federation) {
        const { SETUP } = await import('./auth/require-oidc.ts');
        throw refuse(`Azure is not set up for OIDC: ${inside} Azure credentials come only from the OIDC exchange, never from a client secret, certificate, managed identity or an Azure CLI login; ${SETUP.azure}`);
      }
      if ((oidc || required) && federation) {
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
      const federation = Boolean(deps.env.GCP_WORKLOAD_IDENTITY_PROVIDER && deps.env.GCP_SERVICE_ACCOUNT);
      if (required && !federation) {
        const { SETUP } = await import('./auth/require-oidc.ts');
        throw refuse(`GCP is not set up for OIDC: ${inside} Google credentials come only from the OIDC exchange, never from a key file, application default credentials or the metadata server; ${SETUP.gcp}`);
      }
      const federated = (oidc || required) && federation;
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
