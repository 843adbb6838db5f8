import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { janitorStep, runJanitor } from '../helpers/janitor.ts';

// S3 as it really is, on moto_server: versioned and suspended buckets, the `null` version, and
// Object Lock (legal hold, governance and compliance retention), driven through the real SDK.
let moto: MotoServer;
let client: S3Client;
const NOW = new Date();
const PAST = String(Math.floor(NOW.getTime() / 1000) - 86_400);

beforeAll(async () => {
  moto = await new MotoServer().start();
  client = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: moto.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

const policy = () => `version: 1
dry_run: false
workflows:
  schedule: [janitor]
modules:
  janitor:
    ttl: 24h
    max_deletions: 10
    terraform: { enabled: false }
    providers:
      aws:
        accounts: ["${moto.account}"]
        regions: [us-east-1]
        resources: [s3_bucket]
        s3: { endpoint: "${moto.url}", force_path_style: true }
        sts: { endpoint: "${moto.url}" }
`;

async function bucket(name: string, options: { lock?: boolean } = {}): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: name, ...(options.lock ? { ObjectLockEnabledForBucket: true } : {}) }));
  await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: PAST }] } }));
}
const put = (Bucket: string, Key: string, extra: Record<string, unknown> = {}) => client.send(new PutObjectCommand({ Bucket, Key, Body: `${Key}@${Math.random()}`, ...extra }));
const versioning = (Bucket: string, Status: 'Enabled' | 'Suspended') => client.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }));
const exists = (Bucket: string) => client.send(new HeadBucketCommand({ Bucket })).then(() => true, () => false);
async function versionsOf(Bucket: string): Promise<string[]> {
  const out = await client.send(new ListObjectVersionsCommand({ Bucket }));
  return [...(out.Versions ?? []).map((v) => `${v.Key}`), ...(out.DeleteMarkers ?? []).map((m) => `${m.Key} (delete marker)`)].sort();
}

describe('janitor on real S3 semantics (moto_server)', () => {
  it('empties a versioned bucket of every version and delete marker, the null version included, then deletes it', async () => {
    await bucket('dg-versioned');
    await put('dg-versioned', 'before-versioning.txt');
    await versioning('dg-versioned', 'Enabled');
    for (let i = 0; i < 3; i++) await put('dg-versioned', 'report.csv');
    await put('dg-versioned', 'gone.txt');
    await client.send(new DeleteObjectCommand({ Bucket: 'dg-versioned', Key: 'gone.txt' }));
    expect(await versionsOf('dg-versioned')).toHaveLength(6);
    const result = await runJanitor(policy(), { now: NOW });
    expect(janitorStep(result).outcome.summary).toMatch(/^1 of 1 eligible resources deleted\b/);
    expect(result.exitCode).toBe(0);
    expect(await exists('dg-versioned')).toBe(false);
  });

  it('removes the null version of a suspended bucket (written before versioning and while suspended)', async () => {
    await bucket('dg-suspended');
    await put('dg-suspended', 'before-versioning.txt');
    await versioning('dg-suspended', 'Enabled');
    await put('dg-suspended', 'before-versioning.txt');
    await put('dg-suspended', 'versioned.txt');
    await versioning('dg-suspended', 'Suspended');
    await put('dg-suspended', 'while-suspended.txt');
    const result = await runJanitor(policy(), { now: NOW });
    expect(janitorStep(result).outcome.summary).toMatch(/^1 of 1 eligible resources deleted\b/);
    expect(result.exitCode).toBe(0);
    expect(await exists('dg-suspended')).toBe(false);
  });

  it('pages ListObjectVersions by hand across more than 1,000 versions', async () => {
    await bucket('dg-deep');
    await versioning('dg-deep', 'Enabled');
    const keys = Array.from({ length: 1100 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => put('dg-deep', k)));
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await exists('dg-deep')).toBe(false);
  }, 120_000);

  it('never bypasses Object Lock: held and retained versions stay, the rest goes, the bucket is kept and the state named', async () => {
    await bucket('dg-locked', { lock: true });
    const until = new Date(Date.now() + 86_400_000);
    await put('dg-locked', 'held.txt', { ObjectLockLegalHoldStatus: 'ON', ChecksumAlgorithm: 'CRC32' });
    await put('dg-locked', 'governed.txt', { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: until, ChecksumAlgorithm: 'CRC32' });
    await put('dg-locked', 'complied.txt', { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: until, ChecksumAlgorithm: 'CRC32' });
    await put('dg-locked', 'free.txt');
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(3);
    expect(await exists('dg-locked')).toBe(true);
    // GOVERNANCE retention gives way to BypassGovernanceRetention: still there means never sent.
    expect(await versionsOf('dg-locked')).toEqual(['complied.txt', 'governed.txt', 'held.txt']);
    const message = janitorStep(result).outcome.findings.map((f) => f.message).join('\n');
    expect(message).toContain('objects deleted, bucket still exists');
    expect(message).toContain('3 object versions are protected by Object Lock');
    expect(message).toMatch(/legal hold/);
    expect(message).toMatch(/GOVERNANCE retention until/);
    expect(message).toMatch(/COMPLIANCE retention until/);
  });

  it('deletes an Object Lock bucket in which nothing is held or retained: there is nothing to bypass', async () => {
    await bucket('dg-lock-empty', { lock: true });
    await put('dg-lock-empty', 'a.txt');
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await exists('dg-lock-empty')).toBe(false);
  });
});
