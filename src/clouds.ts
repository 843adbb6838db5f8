import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { Storage } from '@google-cloud/storage';

/**
 * Cloud SDK clients, built on first use with the standard credential chain of each cloud. Each
 * SDK's own retries are off: every call goes through DriftGuard's one retry helper instead.
 */
export interface CloudClients {
  /** The AWS account the credentials belong to (STS GetCallerIdentity). */
  awsAccount(options: { region: string; endpoint?: string }): Promise<string>;
  s3(options: { region: string; endpoint?: string; forcePathStyle?: boolean }): Promise<S3Client>;
  ec2(options: { region: string; endpoint?: string }): Promise<EC2Client>;
  azureResources(options: { subscription: string; endpoint?: string }): Promise<ResourceManagementClient>;
  gcs(options: { project: string; endpoint?: string }): Promise<Storage>;
}

export function defaultCloudClients(): CloudClients {
  return {
    async awsAccount({ region, endpoint }) {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
      const out = await sts.send(new GetCallerIdentityCommand({}));
      return out.Account ?? '';
    },
    async s3({ region, endpoint, forcePathStyle }) {
      const { S3Client } = await import('@aws-sdk/client-s3');
      return new S3Client({
        region,
        maxAttempts: 1,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        ...(endpoint ? { endpoint } : {}),
        ...(forcePathStyle ? { forcePathStyle: true } : {}),
      });
    },
    async ec2({ region, endpoint }) {
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      return new EC2Client({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
    },
    async azureResources({ subscription, endpoint }) {
      const [{ ResourceManagementClient }, { DefaultAzureCredential }] = await Promise.all([import('@azure/arm-resources'), import('@azure/identity')]);
      return new ResourceManagementClient(new DefaultAzureCredential(), subscription, { ...(endpoint ? { endpoint } : {}), retryOptions: { maxRetries: 0 } });
    },
    async gcs({ project, endpoint }) {
      const { Storage } = await import('@google-cloud/storage');
      return new Storage({ projectId: project, ...(endpoint ? { apiEndpoint: endpoint } : {}), retryOptions: { autoRetry: false } });
    },
  };
}
