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
import { createServer, request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { operationOf } from '../helpers/clouds/s3.ts';
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

const policy = (s3Endpoint = moto.url) => `version: 1
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
        s3: { endpoint: "${s3Endpoint}", force_path_style: true }
        sts: { endpoint: "${moto.url}" }
`;

async function bucket(name: string, options: { lock?: boolean; region?: string } = {}): Promise<void> {
  const at = options.region ? new S3Client({ region: options.region, endpoint: moto.url, forcePathStyle: true, credentials: moto.credentials }) : client;
  await at.send(new CreateBucketCommand({ Bucket: name, ...(options.lock ? { ObjectLockEnabledForBucket: true } : {}), ...(options.region ? { CreateBucketConfiguration: { LocationConstraint: options.region as 'eu-west-1' } } : {}) }));
  await at.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: PAST }] } }));
}

/** A pass-through in front of moto that records each request as `Operation path?query`. */
async function recorder(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://recorder');
    seen.push(`${operationOf(req.method!, url.pathname, Object.fromEntries(url.searchParams))} ${url.pathname}${url.search}`);
    const upstream = request(`${moto.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
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

  it('learns bucket regions from two ListBuckets filtered by BucketRegion, not a location read per bucket; another region\'s bucket is never touched', async () => {
    for (let i = 0; i < 5; i++) await bucket(`dg-here-${i}`);
    await bucket('dg-away', { region: 'eu-west-1' });
    const proxy = await recorder();
    try {
      const result = await runJanitor(policy(proxy.url), { now: NOW });
      expect(result.exitCode).toBe(0);
      expect(janitorStep(result).outcome.summary).toMatch(/^5 of 5 eligible resources deleted\b/);
      expect(janitorStep(result).outcome.decisions.map((d) => d.subject).join('\n')).not.toContain('dg-away');
    } finally {
      await proxy.close();
    }
    expect(await exists('dg-away')).toBe(true);
    for (let i = 0; i < 5; i++) expect(await exists(`dg-here-${i}`)).toBe(false);
    expect(proxy.seen.filter((r) => r.startsWith('GetBucketLocation'))).toEqual([]);
    expect(proxy.seen.filter((r) => r.includes('bucket-region=')).sort()).toEqual(['ListBuckets /?bucket-region=us-east-1&prefix=dg-&x-id=ListBuckets', 'ListBuckets /?bucket-region=us-west-2&prefix=dg-&x-id=ListBuckets']);
    // Nothing at all is asked about the bucket in eu-west-1.
    expect(proxy.seen.filter((r) => r.includes('/dg-away'))).toEqual([]);
  });

  it('deletes an Object Lock bucket in which nothing is held or retained: there is nothing to bypass', async () => {
    await bucket('dg-lock-empty', { lock: true });
    await put('dg-lock-empty', 'a.txt');
    const result = await runJanitor(policy(), { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(await exists('dg-lock-empty')).toBe(false);
  });
});
