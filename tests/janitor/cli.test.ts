import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { awsProviders, S3RVER_CREDENTIALS } from '../helpers/janitor.ts';

let s3: S3Server;
let aws: AwsQueryServer;
let dir: string;
const PAST = String(Math.floor(Date.now() / 1000) - 3600);
const ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };

beforeEach(async () => {
  s3 = await new S3Server().start();
  aws = await new AwsQueryServer().start();
  dir = mkdtempSync(join(tmpdir(), 'dg-jcli-'));
  writeFileSync(
    join(dir, 'policy.yaml'),
    `version: 1
audit: { dir: audit }
workflows:
  schedule: [janitor]
modules:
  janitor:
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: aws.url })}`,
  );
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  for (const [name, tags] of [['dg-old', { 'dg-expires-at': PAST }], ['dg-keep', { 'dg-ttl': '24h' }], ['shared-logs', {}]] as const) {
    await client.send(new CreateBucketCommand({ Bucket: name }));
    await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
  }
});
afterEach(async () => {
  await s3.stop();
  await aws.stop();
});

const names = async () => {
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).sort();
};

describe('driftguard janitor (the CLI, default credential chain)', () => {
  it('is a dry run by default and prints the plan as a table', async () => {
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: dir, env: ENV });
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(code).toBe(0);
    expect(stdout).toMatch(/RESOURCE\s+DECISION\s+EXPIRES\s+REASON/);
    expect(stdout).toMatch(/aws s3_bucket dg-old \(111111111111\/us-east-1\)\s+DELETE\s+\S+Z\s+expired 1h\S* ago/);
    // Not DriftGuard's name: seen, never read, so its region is not claimed.
    expect(stdout).toMatch(/aws s3_bucket shared-logs \(111111111111\)\s+keep\s+-\s+name does not start with "dg-"/);
    expect(stdout).toContain('would delete aws s3_bucket dg-old');
    expect(await names()).toEqual(['dg-keep', 'dg-old', 'shared-logs']);
  });

  it('--format json gives the plan to machines', async () => {
    const { stdout } = await runCli(['janitor', '--format', 'json'], { cwd: dir, env: ENV });
    const report = JSON.parse(stdout);
    expect(report.steps[0].outcome.data.table.rows).toHaveLength(3);
    expect(report.steps[0].outcome.decisions.find((d: { subject: string }) => d.subject.endsWith('dg-old')).decision).toBe('delete');
  });

  it('deletes for real once the policy says dry_run: false, and records every decision in the audit artifact', async () => {
    writeFileSync(join(dir, 'policy.yaml'), readFileSync(join(dir, 'policy.yaml'), 'utf8').replace('version: 1\n', 'version: 1\ndry_run: false\n'));
    const { code, stdout } = await runCli(['run', '--event', 'schedule'], { cwd: dir, env: ENV });
    expect(code).toBe(0);
    expect(stdout).toContain('1 of 1 eligible resources deleted');
    expect(await names()).toEqual(['dg-keep', 'shared-logs']);
    const [file] = readdirSync(join(dir, 'audit')).filter((n) => n.startsWith('driftguard-schedule-'));
    const audit = JSON.parse(readFileSync(join(dir, 'audit', file!), 'utf8'));
    expect(audit.steps[0].outcome.decisions).toContainEqual({ subject: 'aws/111111111111/us-east-1/s3_bucket/dg-old', decision: 'deleted', reason: 'deleted' });
  });

  it('--dry-run wins over dry_run: false', async () => {
    writeFileSync(join(dir, 'policy.yaml'), readFileSync(join(dir, 'policy.yaml'), 'utf8').replace('version: 1\n', 'version: 1\ndry_run: false\n'));
    await runCli(['janitor', '--dry-run'], { cwd: dir, env: ENV });
    expect(await names()).toEqual(['dg-keep', 'dg-old', 'shared-logs']);
  });

  it('rejects a bad --shard with exit 2', async () => {
    const { code, stderr } = await runCli(['janitor', '--shard', '3/3'], { cwd: dir, env: ENV });
    expect(code).toBe(2);
    expect(stderr).toContain('--shard must be "i/n" with 0 <= i < n, got "3/3"');
  });
});
