import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { defaultCloudClients, type CloudClients } from '../../src/clouds.ts';
import { runEngine, type RunResult } from '../../src/engine.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { testDeps } from './deps.ts';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The real SDK clients, with the test servers' credentials instead of the default chain. */
export function testClouds(overrides: Partial<CloudClients> = {}): CloudClients {
  const defaults = defaultCloudClients(testDeps());
  return {
    ...defaults,
    async awsAccount(options) {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({ region: options.region, endpoint: options.endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
      return (await sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
    },
    async s3({ region, endpoint, forcePathStyle }) {
      return new S3Client({ region, endpoint, forcePathStyle, credentials: S3RVER_CREDENTIALS, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' });
    },
    async ec2({ region, endpoint }) {
      return new EC2Client({ region, endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
    },
    async tagging({ region, endpoint }) {
      return new ResourceGroupsTaggingAPIClient({ region, endpoint, credentials: S3RVER_CREDENTIALS, maxAttempts: 1 });
    },
    ...overrides,
  };
}

/** Runs the schedule workflow in-process with the clock and clients given. */
export async function runJanitor(policyText: string, options: { now?: Date; dryRun?: boolean; clouds?: CloudClients; inputs?: Record<string, unknown>; cwd?: string; logs?: string[] } = {}): Promise<RunResult> {
  const policy = await parsePolicy('policy.yaml', policyText, REGISTRY);
  const now = options.now ?? new Date();
  // The janitor's journal goes to the audit folder under cwd: never the repository's own.
  const deps = testDeps({ now: () => now, cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'dg-janitor-run-')), ...(options.logs ? { logStream: { write: (line: string) => options.logs!.push(line) } } : {}) });
  deps.clouds = options.clouds ?? testClouds();
  return runEngine({
    policy,
    registry: REGISTRY,
    event: { name: 'schedule', source: 'cli', actor: 'cron', change: { kind: 'none' }, ...(options.inputs ? { inputs: options.inputs } : {}) },
    dryRun: options.dryRun ?? policy.dry_run,
    deps,
    runId: 'janitor-test',
  });
}

export const janitorStep = (result: RunResult) => result.steps.find((s) => s.module === 'janitor')!;

/** The `providers:` block of a janitor slice pointing at the loopback S3 (and EC2) and STS servers. */
export function awsProviders(servers: { s3: string; sts: string; ec2?: string }): string {
  return [
    '    providers:',
    '      aws:',
    '        accounts: ["111111111111"]',
    '        regions: [us-east-1]',
    ...(servers.ec2 ? [] : ['        resources: [s3_bucket]']),
    `        s3: { endpoint: "${servers.s3}", force_path_style: true }`,
    ...(servers.ec2 ? [`        ec2: { endpoint: "${servers.ec2}" }`] : []),
    `        sts: { endpoint: "${servers.sts}" }`,
    '',
  ].join('\n');
}
