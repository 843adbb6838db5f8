import type { CloudClients } from '../../../src/clouds.ts';
import type { JanitorConfig, ResourceType } from '../schema.ts';
import type { Provider, ResourceHandler } from '../types.ts';
import { ec2Instance } from './aws-ec2-instance.ts';
import { s3Bucket } from './aws-s3-bucket.ts';
import { resourceGroup } from './azure-resource-group.ts';
import type { ResourceDescriptor, Scope } from './descriptor.ts';
import { gcsBucket } from './gcp-gcs-bucket.ts';

/**
 * Every resource type, in deletion order: instances before the buckets they may write to. A new
 * type is one file exporting a descriptor, plus one line here (and its name in the schema's list).
 */
export const RESOURCES: readonly ResourceDescriptor[] = [ec2Instance, s3Bucket, resourceGroup, gcsBucket];

export const DELETION_ORDER: readonly ResourceType[] = RESOURCES.map((r) => r.type);

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
 * The accounts (proven with STS on AWS), subscriptions and projects the policy names, with their
 * regions: where each provider's handlers work.
 */
async function scopesOf(provider: Provider, config: JanitorConfig, clouds: CloudClients, filter: { region?: string }, problems: TargetProblem[]): Promise<Scope[]> {
  if (provider === 'azure') return (config.providers.azure?.subscriptions ?? []).map((account) => ({ account, region: '*', primary: true }));
  if (provider === 'gcp') return (config.providers.gcp?.projects ?? []).map((account) => ({ account, region: '*', primary: true }));
  const aws = config.providers.aws;
  if (!aws) return [];
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
  return accounts.flatMap((account) => regions.map((region, i) => ({ account, region, primary: i === 0 })));
}

/**
 * Every (provider, account, region, type) the policy names, with a handler over a real client,
 * in deletion order. An AWS account is proven with STS before anything is listed.
 */
export async function buildTargets(
  config: JanitorConfig,
  clouds: CloudClients,
  filter: { provider?: string; region?: string },
): Promise<{ targets: Target[]; problems: TargetProblem[] }> {
  const targets: Target[] = [];
  const problems: TargetProblem[] = [];
  const scopes = new Map<Provider, Scope[]>();
  for (const descriptor of RESOURCES) {
    const { provider, type } = descriptor;
    if ((filter.provider && filter.provider !== provider) || !config.providers[provider] || !descriptor.wanted(config)) continue;
    if (!scopes.has(provider)) scopes.set(provider, await scopesOf(provider, config, clouds, filter, problems));
    for (const scope of scopes.get(provider)!) {
      targets.push({ provider, account: scope.account, region: scope.region, type, handler: await descriptor.handler({ config, clouds, scope }) });
    }
  }
  return { targets, problems };
}
