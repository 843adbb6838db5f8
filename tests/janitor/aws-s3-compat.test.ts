import { CreateBucketCommand, ListBucketsCommand, PutBucketTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { awsProviders, janitorStep, runJanitor, S3RVER_CREDENTIALS } from '../helpers/janitor.ts';

// S3-compatible endpoints as they answer in the field: 501 for calls they do not implement,
// one bucket that cannot be read, MFA delete; and the janitor's cost and concurrency, counted at
// the server.
let s3: S3Server;
let sts: AwsQueryServer;
let client: S3Client;
const NOW = new Date('2026-11-25T12:00:00Z');
const PAST = String(Math.floor(Date.parse('2026-11-20T00:00:00Z') / 1000));

beforeEach(async () => {
  s3 = await new S3Server().start();
  sts = await new AwsQueryServer().start();
  client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
});
afterEach(async () => {
  await s3.stop();
  await sts.stop();
});

const policy = (extra = '') => `version: 1
dry_run: false
workflows:
  schedule: [janitor]
modules:
  janitor:
    ttl: 24h
    max_deletions: 100
    terraform: { enabled: false }
${extra}${awsProviders({ s3: s3.url, sts: sts.url })}`;

async function bucket(name: string, tags: Record<string, string> = { 'dg-expires-at': PAST }, objects = 0): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
  for (let i = 0; i < objects; i++) await client.send(new PutObjectCommand({ Bucket: name, Key: `data/${i}.txt`, Body: `object ${i}` }));
}

const buckets = async () => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).sort();
const count = (operation: string) => s3.requests.filter((r) => r.operation === operation).length;

describe('janitor on S3-compatible endpoints', () => {
  it('takes 501 from ListMultipartUploads and GetObjectLockConfiguration as "feature absent", never retried: the bucket goes', async () => {
    await bucket('dg-a', undefined, 3);
    await bucket('dg-b', undefined, 2);
    s3.notImplemented.add('ListMultipartUploads');
    s3.notImplemented.add('GetObjectLockConfiguration');
    s3.notImplemented.add('GetBucketVersioning');
    const started = Date.now();
    const result = await runJanitor(policy(), { now: NOW });
    expect(janitorStep(result).outcome.summary).toMatch(/^2 of 2 eligible resources deleted\b/);
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual([]);
    // Asked at most once per bucket: a 501 is never retried.
    expect(count('ListMultipartUploads')).toBeLessThanOrEqual(2);
    expect(count('GetObjectLockConfiguration')).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('names the state left behind when uploads cannot be listed (501) and the bucket stays not empty', async () => {
    await bucket('dg-uploads', undefined, 2);
    s3.uploads.set('dg-uploads', [{ Key: 'big.bin', UploadId: 'up-1' }]);
    s3.notImplemented.add('ListMultipartUploads');
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(3);
    expect(await buckets()).toEqual(['dg-uploads']);
    expect(count('ListMultipartUploads')).toBe(1);
    const messages = janitorStep(result).outcome.findings.map((f) => f.message).join('\n');
    expect(messages).toMatch(/could not be deleted: objects deleted, bucket still exists \(unfinished multipart uploads cannot be listed here: ListMultipartUploads answered 501\): BucketNotEmpty/);
  });

  it('empties a bucket through ListObjectsV2 where ListObjectVersions answers 501', async () => {
    await bucket('dg-plain', undefined, 4);
    s3.notImplemented.add('ListObjectVersions');
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual([]);
    expect(count('ListObjectVersions')).toBe(1);
  });

  it('skips one bucket whose location cannot be read, with its name and reason; the others are listed and deleted', async () => {
    await bucket('dg-broken');
    await bucket('dg-fine', undefined, 1);
    await bucket('dg-untaggable');
    s3.failing.set('GetBucketLocation', new Set(['dg-broken']));
    s3.failing.set('GetBucketTagging', new Set(['dg-untaggable']));
    const result = await runJanitor(policy(), { now: NOW });
    const step = janitorStep(result);
    expect(await buckets()).toEqual(['dg-broken', 'dg-untaggable']);
    expect(step.outcome.summary).toMatch(/^1 of 1 eligible resources deleted/);
    const messages = step.outcome.findings.map((f) => `${f.title}: ${f.message}`).join('\n');
    expect(messages).toMatch(/dg-broken.*InternalError/);
    expect(messages).toMatch(/dg-untaggable.*tags unreadable: InternalError/);
  });

  it('never bypasses MFA delete: the versions stay, the bucket is kept and the reason is reported', async () => {
    await bucket('dg-mfa', undefined, 2);
    s3.mfaDelete.add('dg-mfa');
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(3);
    expect(await buckets()).toEqual(['dg-mfa']);
    expect(count('DeleteBucket')).toBe(0);
    const messages = janitorStep(result).outcome.findings.map((f) => f.message).join('\n');
    expect(messages).toMatch(/MFA delete is enabled/);
    expect(messages).toMatch(/bucket still exists/);
    const left = s3.requests.filter((r) => r.operation === 'GetObject');
    expect(left).toHaveLength(0);
  });

  it('re-reads only the bucket it is about to delete: ListBuckets does not grow with the number of deletions', async () => {
    for (let i = 0; i < 12; i++) await bucket(`dg-n${String(i).padStart(2, '0')}`, undefined, 1);
    for (let i = 0; i < 4; i++) await bucket(`team-${i}`, { owner: 'x' });
    s3.requests.length = 0;
    const result = await runJanitor(policy(), { now: NOW });
    const requests = [...s3.requests];
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual(['team-0', 'team-1', 'team-2', 'team-3']);
    // One listing to plan, two filtered by region (this endpoint ignores the filter, so each
    // bucket's location is read instead), at most one more to verify: never one per deletion.
    expect(requests.filter((r) => r.operation === 'ListBuckets').length).toBeLessThanOrEqual(4);
    expect(requests.filter((r) => r.operation === 'GetBucketLocation')).toHaveLength(12);
    // Buckets not named with the prefix are never read.
    expect(requests.filter((r) => r.path.startsWith('/team-'))).toEqual([]);
    // Per bucket: location and tags to plan, existence and tags afresh, versions, delete, bucket.
    expect(requests.length / 12).toBeLessThanOrEqual(7.5);
  });

  it('honours the policy\'s concurrency for S3 deletions', async () => {
    for (let i = 0; i < 24; i++) await bucket(`dg-c${String(i).padStart(2, '0')}`);
    s3.delays.set('DeleteBucket', 150);
    const result = await runJanitor(policy('    concurrency: 12\n'), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await buckets()).toEqual([]);
    expect(s3.maxInFlight.get('DeleteBucket')).toBeGreaterThan(8);
    expect(s3.maxInFlight.get('DeleteBucket')).toBeLessThanOrEqual(12);
  });
});

describe('janitor concurrency on EC2', () => {
  it('terminates as many instances at once as the policy says, not one at a time', async () => {
    for (let i = 0; i < 12; i++) sts.instances.set(`i-c${i}`, { id: `i-c${i}`, state: 'running', launchTime: '2026-11-01T00:00:00.000Z', tags: { Name: `dg-c${i}` } });
    sts.delays.set('TerminateInstances', 150);
    const text = policy('    concurrency: 6\n').replace(`        resources: [s3_bucket]\n`, `        resources: [ec2_instance]\n        ec2: { endpoint: "${sts.url}" }\n`);
    const result = await runJanitor(text, { now: NOW });
    expect(result.exitCode).toBe(0);
    expect([...sts.instances.values()].every((i) => i.state === 'terminated')).toBe(true);
    expect(sts.maxInFlight.get('TerminateInstances')).toBeGreaterThan(3);
    expect(sts.maxInFlight.get('TerminateInstances')).toBeLessThanOrEqual(6);
  });
});
