import type { CloudClients } from '../../../src/clouds.ts';
import type { JanitorConfig, ResourceType } from '../schema.ts';
import type { Provider, ResourceHandler } from '../types.ts';

/** The resource types in deletion order: instances before the buckets they may write to. */
export const DELETION_ORDER: readonly ResourceType[] = ['ec2_instance', 's3_bucket', 'resource_group', 'gcs_bucket'];

export interface Target {
  provider: Provider;
  account: string;
  region: string;
  type: ResourceType;
  handler: ResourceHandler;
}

export interface TargetProblem {
  provider: Provider;
  where: string;
  reason: string;
}

/**
 * Every (provider, account, region, type) the policy names, with a handler over a real client.
 * An AWS account is proven with STS before anything is listed.
 */
export async function buildTargets(
  config: JanitorConfig,
  clouds: CloudClients,
  filter: { provider?: string; region?: string },
): Promise<{ targets: Target[]; problems: TargetProblem[] }> {
  const targets: Target[] = [];
  const problems: TargetProblem[] = [];
  const wanted = (provider: Provider) => !filter.provider || filter.provider === provider;
  const aws = config.providers.aws;
  if (aws && wanted('aws')) {
    const regions = aws.regions.filter((r) => !filter.region || filter.region === r);
    // Each allowlisted account is reached with its own credentials (a per-account role) or the
    // default ones, and proven with STS: only accounts on the allowlist are ever listed.
    const accounts: string[] = [];
    if (aws.verify_account) {
      for (const expected of aws.accounts) {
        try {
          const actual = await clouds.awsAccount({ region: aws.regions[0]!, endpoint: aws.sts.endpoint, account: expected });
          if (!aws.accounts.includes(actual)) {
            problems.push({ provider: 'aws', where: `account ${actual}`, reason: `the credentials belong to account ${actual}, which is not on the policy's allowlist (${aws.accounts.join(', ')})` });
          } else if (!accounts.includes(actual)) {
            accounts.push(actual);
          }
        } catch (err) {
          problems.push({ provider: 'aws', where: 'sts', reason: `cannot tell which account the credentials for ${expected} belong to: ${(err as Error).message}` });
        }
      }
    } else if (aws.accounts.length === 1) {
      accounts.push(aws.accounts[0]!);
    } else {
      problems.push({ provider: 'aws', where: 'accounts', reason: 'verify_account is off and several accounts are listed: cannot tell which one the credentials belong to' });
    }
    if (accounts.length > 0) {
      const { s3Buckets } = await import('./aws-s3-bucket.ts');
      const { ec2Instances } = await import('./aws-ec2-instance.ts');
      for (const account of accounts) {
        for (const region of regions) {
          if (aws.resources.includes('ec2_instance')) {
            targets.push({ provider: 'aws', account, region, type: 'ec2_instance', handler: await ec2Instances({ client: await clouds.ec2({ region, endpoint: aws.ec2.endpoint, account }), account, region }) });
          }
          if (aws.resources.includes('s3_bucket')) {
            const client = await clouds.s3({ region, endpoint: aws.s3.endpoint, forcePathStyle: aws.s3.force_path_style, account });
            targets.push({ provider: 'aws', account, region, type: 's3_bucket', handler: await s3Buckets({ client, account, region, defaultRegion: aws.s3.endpoint ? region : 'us-east-1' }) });
          }
        }
      }
    }
  }
  const azure = config.providers.azure;
  if (azure && wanted('azure')) {
    const { resourceGroups } = await import('./azure-resource-group.ts');
    for (const subscription of azure.subscriptions) {
      targets.push({ provider: 'azure', account: subscription, region: '*', type: 'resource_group', handler: resourceGroups({ client: await clouds.azureResources({ subscription, endpoint: azure.endpoint }), subscription }) });
    }
  }
  const gcp = config.providers.gcp;
  if (gcp && wanted('gcp')) {
    const { gcsBuckets } = await import('./gcp-gcs-bucket.ts');
    for (const project of gcp.projects) {
      targets.push({ provider: 'gcp', account: project, region: '*', type: 'gcs_bucket', handler: gcsBuckets({ storage: await clouds.gcs({ project, endpoint: gcp.endpoint }), project }) });
    }
  }
  targets.sort((a, b) => DELETION_ORDER.indexOf(a.type) - DELETION_ORDER.indexOf(b.type));
  return { targets, problems };
}
