import {
  CreateBucketCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { awsProviders, janitorStep, runJanitor, S3RVER_CREDENTIALS } from '../helpers/janitor.ts';

let s3: S3Server;
let aws: AwsQueryServer;
let client: S3Client;
const NOW = new Date('2026-11-25T12:00:00Z');
const PAST = String(Math.floor(Date.parse('2026-11-20T00:00:00Z') / 1000));
const FUTURE = String(Math.floor(Date.parse('2026-12-20T00:00:00Z') / 1000));

beforeEach(async () => {
  s3 = await new S3Server().start();
  aws = await new AwsQueryServer().start();
  client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
});
afterEach(async () => {
  await s3.stop();
  await aws.stop();
});

const policy = (extra = '', dry = false) => `version: 1
dry_run: ${dry}
workflows:
  schedule: [janitor]
modules:
  janitor:
    ttl: 24h
    max_deletions: 10
    terraform: { enabled: false }
${awsProviders({ s3: s3.url, sts: aws.url, ec2: aws.url })}${extra}`;

async function bucket(name: string, tags?: Record<string, string>, objects = 0): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  if (tags) await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
  for (let i = 0; i < objects; i++) await client.send(new PutObjectCommand({ Bucket: name, Key: `data/${i}.txt`, Body: `object ${i}` }));
}

async function buckets(): Promise<string[]> {
  return ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).sort();
}

async function seed(): Promise<void> {
  await bucket('dg-expired', { 'dg-expires-at': PAST, 'dg-env': 'pr-41' }, 5);
  await bucket('dg-young', { 'dg-expires-at': FUTURE });
  await bucket('dg-untagged');
  await bucket('team-data', { 'dg-expires-at': PAST });
  await bucket('dg-prod', { 'dg-expires-at': PAST, environment: 'PRODUCTION' });
  await bucket('dg-pinned', { 'dg-expires-at': PAST, 'DG-Protected': 'True' });
  await bucket('dg-denied', { 'dg-expires-at': PAST });
  s3.tagsDenied.add('dg-denied');
  aws.instances.set('i-0aaa', { id: 'i-0aaa', state: 'running', launchTime: '2026-11-20T00:00:00.000Z', tags: { Name: 'dg-runner', 'dg-ttl': '12h' } });
  aws.instances.set('i-0bbb', { id: 'i-0bbb', state: 'running', launchTime: '2026-11-25T11:00:00.000Z', tags: { Name: 'dg-fresh' } });
  aws.instances.set('i-0ccc', { id: 'i-0ccc', state: 'stopped', launchTime: '2026-01-01T00:00:00.000Z', tags: { Name: 'prod-db' } });
  aws.instances.set('i-0ddd', { id: 'i-0ddd', state: 'running', launchTime: '2026-11-01T00:00:00.000Z', tags: { Name: 'dg-no-tags-but-old' } });
}

describe('janitor on AWS (s3rver and a wire-level EC2)', () => {
  it('dry-run plans every resource with its decision, expiry and reason, and deletes nothing', async () => {
    await seed();
    const result = await runJanitor(policy('', true), { now: NOW });
    const step = janitorStep(result);
    const decisions = Object.fromEntries(step.outcome.decisions.map((d) => [d.subject.split('/').pop(), [d.decision, d.reason]]));
    expect(decisions['dg-expired']).toEqual(['delete', expect.stringMatching(/^expired 5d12h ago \(dg-expires-at 2026-11-20T00:00:00\.000Z\)$/)]);
    expect(decisions['dg-young']![0]).toBe('keep');
    expect(decisions['dg-untagged']![0]).toBe('keep');
    expect(decisions['team-data']).toEqual(['keep', 'name does not start with "dg-"']);
    expect(decisions['dg-prod']).toEqual(['keep', 'protected by tag environment=PRODUCTION']);
    expect(decisions['dg-pinned']).toEqual(['keep', 'protected by tag DG-Protected=True']);
    expect(decisions['dg-denied']).toEqual(['keep', expect.stringMatching(/^tags unreadable: AccessDenied/)]);
    expect(decisions['i-0aaa']).toEqual(['delete', expect.stringContaining('dg-ttl 12h')]);
    expect(decisions['i-0bbb']![0]).toBe('keep');
    expect(decisions['i-0ccc']).toEqual(['keep', 'name does not start with "dg-"']);
    expect(decisions['i-0ddd']).toEqual(['delete', expect.stringContaining('ttl 24h')]);
    expect(step.outcome.actions.map((a) => [a.kind, a.status])).toEqual([
      ['delete', 'planned'],
      ['delete', 'planned'],
      ['delete', 'planned'],
    ]);
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toContain('dg-expired');
    expect(aws.calls.filter((c) => c.Action === 'TerminateInstances')).toHaveLength(0);
  });

  it('deletes exactly the eligible resources: buckets emptied of versions, delete markers and uploads first', async () => {
    await seed();
    s3.versions.set('dg-expired', [
      { Key: 'data/0.txt', VersionId: 'v1', IsDeleteMarker: false },
      { Key: 'data/9.txt', VersionId: 'v2', IsDeleteMarker: true },
    ]);
    s3.uploads.set('dg-expired', [{ Key: 'big.bin', UploadId: 'up-1' }]);
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual(['dg-denied', 'dg-pinned', 'dg-prod', 'dg-untagged', 'dg-young', 'team-data']);
    expect(aws.instances.get('i-0aaa')!.state).toBe('terminated');
    expect(aws.instances.get('i-0ddd')!.state).toBe('terminated');
    expect(aws.instances.get('i-0bbb')!.state).toBe('running');
    expect(aws.instances.get('i-0ccc')!.state).toBe('stopped');
    expect(s3.uploads.get('dg-expired')).toEqual([]);
    expect(janitorStep(result).outcome.summary).toBe('3 of 3 eligible resources deleted; 11 resources seen, 3 expired and eligible, 8 kept (1 skipped in doubt)');
  });

  it('pages EC2 listings and ListObjectVersions by hand', async () => {
    await bucket('dg-many', { 'dg-expires-at': PAST }, 3);
    s3.versions.set('dg-many', Array.from({ length: 2500 }, (_, i) => ({ Key: `old/${String(i).padStart(5, '0')}`, VersionId: `v${i}`, IsDeleteMarker: i % 3 === 0 })));
    for (let i = 0; i < 5; i++) aws.instances.set(`i-p${i}`, { id: `i-p${i}`, state: 'running', launchTime: '2026-11-01T00:00:00.000Z', tags: { Name: `dg-p${i}` } });
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual([]);
    expect([...aws.instances.values()].every((i) => i.state === 'terminated')).toBe(true);
    expect(aws.calls.filter((c) => c.Action === 'DescribeInstances' && c.NextToken).length).toBeGreaterThanOrEqual(2);
    expect(s3.requests.filter((r) => r.query.includes('versions') && r.query.includes('key-marker')).length).toBeGreaterThanOrEqual(2);
  });

  it('never switches off Object Lock or termination protection: reported, not forced, exit 3', async () => {
    await bucket('dg-locked', { 'dg-expires-at': PAST }, 1);
    s3.locked.add('dg-locked');
    aws.instances.set('i-0pro', { id: 'i-0pro', state: 'running', launchTime: '2026-11-01T00:00:00.000Z', tags: { Name: 'dg-guarded' }, protectedFromTermination: true });
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(3);
    expect(await buckets()).toEqual(['dg-locked']);
    expect(aws.instances.get('i-0pro')!.state).toBe('running');
    const messages = janitorStep(result).outcome.findings.map((f) => f.message).join('\n');
    expect(messages).toContain('refused: nothing deleted, bucket still exists: 1 object versions are protected by Object Lock (data/0.txt: AccessDenied');
    expect(messages).toContain('DriftGuard never bypasses it');
    expect(messages).toContain('refused: termination protection is on');
    expect(aws.calls.filter((c) => c.Action === 'TerminateInstances')).toHaveLength(0);
  });

  it('re-checks eligibility on a fresh read just before deleting: a tag added after planning protects', async () => {
    await bucket('dg-race', { 'dg-expires-at': PAST });
    s3.tagSchedule.set('dg-race', [{ 'dg-expires-at': PAST }, { 'dg-expires-at': PAST, Protected: 'true' }]);
    const result = await runJanitor(policy(), { now: NOW });
    expect(await buckets()).toEqual(['dg-race']);
    expect(result.exitCode).toBe(0);
    expect(janitorStep(result).outcome.actions).toEqual([expect.objectContaining({ status: 'skipped', reason: 'no longer eligible on a fresh read: protected by tag Protected=true' })]);
  });

  it('refuses a run that would delete more than max_deletions, before deleting anything', async () => {
    for (let i = 0; i < 4; i++) await bucket(`dg-b${i}`, { 'dg-expires-at': PAST });
    const result = await runJanitor(policy().replace('max_deletions: 10', 'max_deletions: 3'), { now: NOW });
    expect(result.exitCode).toBe(1);
    expect(janitorStep(result).outcome.summary).toBe('refused: 4 resources are eligible, more than max_deletions (3); nothing was deleted');
    expect(await buckets()).toHaveLength(4);
  });

  it('touches nothing when the credentials belong to an account not on the allowlist', async () => {
    await seed();
    aws.account = '999999999999';
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(3);
    expect(janitorStep(result).outcome.findings[0]!.message).toContain('the credentials belong to account 999999999999, which is not on the policy\'s allowlist');
    expect(await buckets()).toContain('dg-expired');
    expect(aws.calls.every((c) => c.Action === 'GetCallerIdentity')).toBe(true);
  });

  it('under injected faults (500, 503, SlowDown, RequestLimitExceeded) every eligible resource still goes, and nothing else', async () => {
    await seed();
    for (let i = 0; i < 6; i++) await bucket(`dg-f${i}`, { 'dg-expires-at': PAST }, 2);
    s3.faults.rate = 0.25;
    aws.faults.rate = 0.25;
    const result = await runJanitor(policy(), { now: NOW });
    s3.faults.rate = 0;
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual(['dg-denied', 'dg-pinned', 'dg-prod', 'dg-untagged', 'dg-young', 'team-data']);
    expect(s3.requests.length).toBeGreaterThan(50);
    expect([...aws.instances.values()].filter((i) => i.state === 'terminated').map((i) => i.id).sort()).toEqual(['i-0aaa', 'i-0ddd']);
  });

  it('splits the estate across shards that together cover it exactly once', async () => {
    for (let i = 0; i < 8; i++) await bucket(`dg-s${i}`, { 'dg-expires-at': PAST });
    const seen: string[][] = [];
    for (const shard of ['0/3', '1/3', '2/3']) {
      const result = await runJanitor(policy('', true), { now: NOW, inputs: { shard } });
      seen.push(janitorStep(result).outcome.decisions.filter((d) => d.decision === 'delete').map((d) => d.subject));
    }
    const all = seen.flat().sort();
    expect(all).toHaveLength(8);
    expect(new Set(all).size).toBe(8);
  });

  it('is idempotent: a rerun after everything went finds nothing to do', async () => {
    await seed();
    await runJanitor(policy(), { now: NOW });
    const again = await runJanitor(policy(), { now: NOW });
    expect(again.exitCode).toBe(0);
    expect(janitorStep(again).outcome.summary).toBe('8 resources seen, 0 expired and eligible, 8 kept (1 skipped in doubt)');
    expect(janitorStep(again).outcome.actions).toEqual([]);
    await expect(client.send(new HeadBucketCommand({ Bucket: 'dg-expired' }))).rejects.toMatchObject({ name: 'NotFound' });
  });
});
