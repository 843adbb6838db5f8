import { CreateBucketCommand, HeadBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { operationOf } from '../helpers/clouds/s3.ts';
import { janitorStep, runJanitor } from '../helpers/janitor.ts';

// Bucket tags while listing come from the Resource Groups Tagging API (GetResources, 100 per
// page) on moto_server; the read just before a deletion stays the bucket's own GetBucketTagging.
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

const policy = (url: string, options: { dryRun?: boolean; tagging?: string } = {}) => `version: 1
dry_run: ${options.dryRun ?? false}
workflows:
  schedule: [janitor]
modules:
  janitor:
    ttl: 24h
    max_deletions: 500
    terraform: { enabled: false }
    providers:
      aws:
        accounts: ["${moto.account}"]
        regions: [us-east-1]
        resources: [s3_bucket]
        s3: { endpoint: "${url}", force_path_style: true }
        sts: { endpoint: "${url}" }
${options.tagging === undefined ? '' : `        tagging: ${options.tagging}\n`}`;

async function bucket(name: string, tags: Record<string, string>): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  if (Object.keys(tags).length) await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
}
const exists = (Bucket: string) => client.send(new HeadBucketCommand({ Bucket })).then(() => true, () => false);

interface Mapping {
  ResourceARN: string;
  Tags: Array<{ Key: string; Value: string }>;
}

/**
 * A pass-through in front of moto recording each request's operation (the JSON protocol's
 * X-Amz-Target, S3's from method and path); `rewrite` edits GetResources answers, `refuse`
 * answers GetResources with a 400 AccessDeniedException as AWS does without tag:GetResources.
 */
async function proxy(options: { rewrite?: (list: Mapping[]) => Mapping[]; refuse?: boolean } = {}) {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.headers['x-amz-target'];
    const url = new URL(req.url!, 'http://proxy');
    const operation = typeof target === 'string' ? target.split('.').pop()! : operationOf(req.method!, url.pathname, Object.fromEntries(url.searchParams));
    seen.push(operation);
    if (operation === 'GetResources' && options.refuse) {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'dg-test' });
      res.end(JSON.stringify({ __type: 'AccessDeniedException', Message: 'User: arn:aws:iam::123456789012:user/janitor is not authorized to perform: tag:GetResources' }));
      return;
    }
    const headers = { ...req.headers };
    delete headers['accept-encoding'];
    const upstream = request(`${moto.url}${req.url}`, { method: req.method, headers }, (answer) => {
      if (operation !== 'GetResources' || !options.rewrite) {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ResourceTagMappingList?: Mapping[] };
        body.ResourceTagMappingList = options.rewrite!(body.ResourceTagMappingList ?? []);
        const text = JSON.stringify(body);
        res.writeHead(answer.statusCode!, { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      });
    });
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const count = (operation: string) => seen.filter((s) => s === operation).length;
  return { url: `http://127.0.0.1:${port}`, seen, count, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('S3 bucket tags from the Resource Groups Tagging API (moto_server)', () => {
  it('reads the tags of 150 buckets in two GetResources pages while listing; only the untagged bucket is read on its own', async () => {
    const expired = Array.from({ length: 150 }, (_, i) => `dg-batch-${String(i).padStart(3, '0')}`);
    for (const name of expired) await bucket(name, { 'dg-expires-at': PAST });
    await bucket('dg-protected', { 'dg-expires-at': PAST, Protected: 'true' });
    await bucket('dg-untagged', {});
    const via = await proxy();
    try {
      const result = await runJanitor(policy(via.url, { dryRun: true, tagging: `{ endpoint: "${via.url}" }` }), { now: NOW, dryRun: true });
      const step = janitorStep(result);
      expect(step.outcome.summary).toMatch(/^152 resources seen, 150 expired and eligible, 2 kept\b/);
      const decided = Object.fromEntries(step.outcome.decisions.map((d) => [d.subject.split('/').pop(), `${d.decision}: ${d.reason}`]));
      expect(decided['dg-protected']).toMatch(/^keep: .*protected/i);
      expect(decided['dg-untagged']).toMatch(/^keep: /);
      expect(decided['dg-batch-149']).toMatch(/^delete: /);
      // 153 tagged-or-not buckets: 152 tagged ones in pages of 100, the untagged one read by itself.
      expect(via.count('GetResources')).toBe(2);
      expect(via.count('GetBucketTagging')).toBe(1);
    } finally {
      await via.close();
    }
  });

  it('a stale Tagging API answer cannot delete a protected bucket: the fresh GetBucketTagging before the delete keeps it', async () => {
    for (const name of ['dg-old-1', 'dg-old-2', 'dg-old-3', 'dg-old-4']) await bucket(name, { 'dg-expires-at': PAST });
    await bucket('dg-just-protected', { 'dg-expires-at': PAST, Protected: 'true' });
    // The Tagging API is eventually consistent: here it has not yet seen the Protected tag.
    const via = await proxy({ rewrite: (list) => list.map((m) => (m.ResourceARN.endsWith(':::dg-just-protected') ? { ...m, Tags: m.Tags.filter((t) => t.Key !== 'Protected') } : m)) });
    try {
      const result = await runJanitor(policy(via.url, { tagging: `{ endpoint: "${via.url}" }` }), { now: NOW });
      const step = janitorStep(result);
      expect(step.outcome.summary).toMatch(/^4 of 5 eligible resources deleted\b/);
      const action = step.outcome.actions.find((a) => a.target.includes('dg-just-protected'));
      expect(action?.status).toBe('skipped');
      expect(action?.reason).toMatch(/no longer eligible on a fresh read/);
      expect(await exists('dg-just-protected')).toBe(true);
      for (const name of ['dg-old-1', 'dg-old-2', 'dg-old-3', 'dg-old-4']) expect(await exists(name)).toBe(false);
      expect(via.count('GetResources')).toBe(1);
      // Listing read no bucket's tags by itself; each of the five deletions read its own first.
      expect(via.count('GetBucketTagging')).toBe(5);
    } finally {
      await via.close();
    }
  });

  it('without tag:GetResources, reads each bucket\'s tags itself, says how to grant it, and decides the same', async () => {
    for (const name of ['dg-a', 'dg-b', 'dg-c', 'dg-d']) await bucket(name, { 'dg-expires-at': PAST });
    await bucket('dg-keep', { 'dg-expires-at': PAST, Protected: 'true' });
    const via = await proxy({ refuse: true });
    const logs: string[] = [];
    try {
      const result = await runJanitor(policy(via.url, { dryRun: true, tagging: `{ endpoint: "${via.url}" }` }), { now: NOW, dryRun: true, logs });
      expect(janitorStep(result).outcome.summary).toMatch(/^5 resources seen, 4 expired and eligible, 1 kept\b/);
      expect(result.exitCode).toBe(0);
      expect(via.count('GetResources')).toBe(1);
      expect(via.count('GetBucketTagging')).toBe(5);
      expect(logs.join('')).toMatch(/bucket tags read one bucket at a time: the Resource Groups Tagging API answered [^"]*AccessDenied[^"]*grant tag:GetResources/);
    } finally {
      await via.close();
    }
  });

  it('asks no Tagging API of an S3-compatible endpoint unless tagging.endpoint is given, nor when tagging is disabled', async () => {
    for (const name of ['dg-a', 'dg-b', 'dg-c', 'dg-d', 'dg-e']) await bucket(name, { 'dg-expires-at': PAST });
    const via = await proxy();
    try {
      for (const tagging of [undefined, `{ enabled: false, endpoint: "${via.url}" }`]) {
        const result = await runJanitor(policy(via.url, { dryRun: true, ...(tagging ? { tagging } : {}) }), { now: NOW, dryRun: true });
        expect(janitorStep(result).outcome.summary).toMatch(/^5 resources seen, 5 expired and eligible\b/);
      }
      expect(via.count('GetResources')).toBe(0);
      expect(via.count('GetBucketTagging')).toBe(10);
    } finally {
      await via.close();
    }
  });
});
