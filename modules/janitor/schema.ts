import * as z from 'zod';
import { Duration } from '../../src/policy/types.ts';

export const RESOURCE_TYPES = ['s3_bucket', 'ec2_instance', 'resource_group', 'gcs_bucket'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

const Url = z.string().regex(/^https?:\/\/[^\s/$.?#][^\s]*$/, { error: 'expected an http(s) URL' });

export const AwsTarget = z.strictObject({
  accounts: z.array(z.string().regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' })).min(1).describe('Allowlist: the credentials must belong to one of these accounts.'),
  regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as "eu-west-1"' })).min(1),
  resources: z.array(z.enum(['s3_bucket', 'ec2_instance'])).min(1).default(['s3_bucket', 'ec2_instance']),
  s3: z.strictObject({ endpoint: Url.optional(), force_path_style: z.boolean().default(false) }).prefault({}).describe('S3-compatible stores (MinIO, LocalStack, Ceph): endpoint URL and path-style addressing.'),
  ec2: z.strictObject({ endpoint: Url.optional() }).prefault({}),
  sts: z.strictObject({ endpoint: Url.optional() }).prefault({}),
  tagging: z
    .strictObject({ enabled: z.boolean().default(true), endpoint: Url.optional() })
    .prefault({})
    .describe('Resource Groups Tagging API (tag:GetResources): S3 bucket tags read in pages of 100 while listing. Asked on AWS, or with an S3-compatible s3.endpoint only when tagging.endpoint is given; refused or absent, tags are read per bucket.'),
  verify_account: z.boolean().default(true).describe('Check the credentials\' account with STS GetCallerIdentity before anything else; turn off only for S3-compatible stores without STS.'),
});

export const AzureTarget = z.strictObject({
  subscriptions: z.array(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { error: 'expected a subscription id (a GUID)' })).min(1),
  resources: z.array(z.enum(['resource_group'])).min(1).default(['resource_group']),
  endpoint: Url.optional().describe('Azure Resource Manager endpoint (sovereign clouds, tests).'),
});

export const GcpTarget = z.strictObject({
  projects: z.array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: 'expected a GCP project id' })).min(1),
  resources: z.array(z.enum(['gcs_bucket'])).min(1).default(['gcs_bucket']),
  endpoint: Url.optional(),
});

export const TerraformSettings = z.strictObject({
  enabled: z.boolean().default(true),
  binary: z.string().min(1).default('terraform').describe('terraform or tofu (OpenTofu).'),
  workdir: z.string().min(1).default('infra/envs/{env}').describe('Working directory of an environment; {env} is its dg-env marker.'),
  timeout: Duration.default('20m'),
  lock_timeout: Duration.default('60s'),
});

export const JanitorConfig = z.object({
  prefix: z.string().min(1).max(32).default('dg-').describe('Only resources whose name starts with this, exactly and case-sensitively, are ever considered.'),
  ttl: Duration.default('24h'),
  max_ttl: Duration.default('7d').describe('No marker can make a resource live longer than this.'),
  protected_tags: z.record(z.string().min(1), z.string()).default({ Environment: 'Production', Protected: 'true' }).describe('Any of these key/value pairs (compared case-insensitively) protects a resource; so does dg-protected=true.'),
  max_deletions: z.number().int().min(0).max(100_000).default(50).describe('A run that would delete more stops before deleting anything.'),
  concurrency: z.number().int().min(1).max(64).default(8).describe('Calls at once per resource type, account and region, for every type: the reads while listing, the deletions and their checks. Default 8.'),
  terraform: TerraformSettings.prefault({}),
  providers: z
    .strictObject({ aws: AwsTarget.optional(), azure: AzureTarget.optional(), gcp: GcpTarget.optional() })
    .default({}),
});
export type JanitorConfig = z.infer<typeof JanitorConfig>;
