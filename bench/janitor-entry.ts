// Bench entry: the janitor on moto_server (bench/moto-server.py, which counts the requests it
// serves), each figure measured in the same run on the same server:
//  (a) 200 expired buckets x 5 objects plus 50 protected ones: the janitor against a raw
//      @aws-sdk/client-s3 loop with 16-way concurrency that lists, empties and deletes them;
//  (b) requests per bucket of a live run at 200 and at 2,000 buckets;
//  (c) a dry-run plan over 10,000 buckets, in a process of its own: wall time, requests per
//      bucket, peak RSS.
// Prints one JSON line, with the requests of (a) by operation per expired bucket.
// `node janitor.mjs plan URL` is the child of (c); BENCH_JANITOR=a runs (a) alone.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { REGISTRY } from '../modules/registry.ts';
import { createDeps } from '../src/deps.ts';
import { runEngine } from '../src/engine.ts';
import { mapLimit } from '../src/limit.ts';
import { parsePolicy } from '../src/policy/load.ts';
import { testClouds } from '../tests/helpers/janitor.ts';

const scratch = mkdtempSync(join(tmpdir(), 'dg-bench-janitor-'));
const ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const PAST = String(Math.floor(Date.now() / 1000) - 86_400);
const FUTURE = String(Math.floor(Date.now() / 1000) + 86_400);

const policy = (url: string, options: { dryRun: boolean; maxDeletions: number; concurrency?: number }) => `version: 1
dry_run: ${options.dryRun}
workflows: { schedule: [janitor] }
modules:
  janitor:
    max_deletions: ${options.maxDeletions}
${options.concurrency ? `    concurrency: ${options.concurrency}\n` : ''}    terraform: { enabled: false }
    providers:
      aws:
        accounts: ["${ACCOUNT}"]
        regions: [us-east-1]
        resources: [s3_bucket]
        s3: { endpoint: "${url}", force_path_style: true }
        sts: { endpoint: "${url}" }
        tagging: { endpoint: "${url}" }
`;

/** The janitor as the CLI runs it, in this process, logs discarded. */
async function janitor(text: string) {
  const parsed = await parsePolicy('policy.yaml', text, REGISTRY);
  // The audit artifact goes to a scratch folder, not the repository.
  const deps = createDeps({ env: {}, cwd: scratch, logLevel: 'warn', logStream: { write: () => undefined }, out: () => undefined });
  deps.clouds = testClouds();
  return runEngine({ policy: parsed, registry: REGISTRY, event: { name: 'schedule', source: 'cli', actor: 'bench', change: { kind: 'none' } }, dryRun: parsed.dry_run, deps, runId: 'bench' });
}

const clientFor = (url: string) => new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', maxAttempts: 3 });

if (process.argv[2] === 'plan') {
  // (c), the child: a dry-run plan, timed, with its own peak RSS.
  const url = process.argv[3]!;
  const started = performance.now();
  const result = await janitor(policy(url, { dryRun: true, maxDeletions: 100_000 }));
  const ms = performance.now() - started;
  const step = result.steps.find((s) => s.module === 'janitor')!;
  const data = step.outcome.data as { listed: number; eligible: number };
  process.stdout.write(JSON.stringify({ ms, listed: data.listed, eligible: data.eligible, exitCode: result.exitCode, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  process.exit(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

// Run from the repository root (npm run bench does).
const root = process.cwd();
const port = await freePort();
const moto = spawn('python3', [`${root}/bench/moto-server.py`, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
// A failed bench must not leave the server running.
process.on('exit', () => moto.kill('SIGTERM'));
for (let i = 0; ; i++) {
  if (await fetch(`${url}/__requests`).then((r) => r.ok, () => false)) break;
  if (i > 300) throw new Error('moto-server.py did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const client = clientFor(url);
const note = (text: string) => process.stderr.write(`janitor bench: ${text}\n`);
const served = async () => Number(await (await fetch(`${url}/__requests`)).text());
const operations = async () => (await (await fetch(`${url}/__operations`)).json()) as Record<string, number>;
/** Requests by operation between two snapshots, per expired bucket. */
const perBucketOps = (before: Record<string, number>, after: Record<string, number>, buckets: number) =>
  Object.fromEntries(Object.entries(after).map(([op, n]) => [op, (n - (before[op] ?? 0)) / buckets]).filter(([, n]) => (n as number) > 0).sort((a, b) => (b[1] as number) - (a[1] as number)));
const reset = async () => void (await fetch(`${url}/moto-api/reset`, { method: 'POST' }));

/** Buckets, tags and objects created straight in moto's backend: setting up is not what is measured. */
async function seed(names: string[], tags: (i: number) => Record<string, string>, objects: number): Promise<void> {
  for (let i = 0; i < names.length; i += 1000) {
    const buckets = names.slice(i, i + 1000).map((name, j) => ({ name, tags: tags(i + j), objects }));
    const res = await fetch(`${url}/__seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ buckets }) });
    if (!res.ok) throw new Error(`seeding answered ${res.status}`);
  }
}
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
const remaining = async () => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).length;

/** The baseline: what a script would do, with no checks at all. */
async function rawLoop(expired: readonly string[]): Promise<void> {
  const wanted = new Set(expired);
  const listed = ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).filter((n) => wanted.has(n));
  await mapLimit(listed, 16, async (Bucket) => {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (objects.length) await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: objects, Quiet: true } }));
    await client.send(new DeleteBucketCommand({ Bucket }));
  });
}

// (a) Throughput against the raw loop: two rounds each, alternating, best of each.
const EXPIRED = 200;
const PROTECTED = 50;
const rounds: Array<{ janitorMs: number; rawMs: number }> = [];
let janitorOps: Record<string, number> = {};
let rawOps: Record<string, number> = {};
/** This process's CPU time per expired bucket (ms): the client's own cost, next to moto's. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000 / EXPIRED;
};
let janitorCpu = 0;
let rawCpu = 0;
for (let round = 0; round < 2; round++) {
  note(`(a) round ${round + 1} of 2`);
  const expired = names('dg-exp-', EXPIRED);
  await reset();
  await seed(expired, () => ({ 'dg-expires-at': PAST }), 5);
  await seed(names('dg-keep-', PROTECTED), () => ({ 'dg-expires-at': PAST, Protected: 'true' }), 1);
  let ops = await operations();
  let cpu = process.cpuUsage();
  let started = performance.now();
  const result = await janitor(policy(url, { dryRun: false, maxDeletions: EXPIRED, concurrency: 16 }));
  const janitorMs = performance.now() - started;
  janitorCpu = cpuMs(cpu);
  janitorOps = perBucketOps(ops, await operations(), EXPIRED);
  if (result.exitCode !== 0 || (await remaining()) !== PROTECTED) throw new Error(`janitor run: exit ${result.exitCode}, ${await remaining()} buckets left`);

  await reset();
  await seed(expired, () => ({ 'dg-expires-at': PAST }), 5);
  await seed(names('dg-keep-', PROTECTED), () => ({ 'dg-expires-at': PAST, Protected: 'true' }), 1);
  ops = await operations();
  cpu = process.cpuUsage();
  started = performance.now();
  await rawLoop(expired);
  const rawMs = performance.now() - started;
  rawCpu = cpuMs(cpu);
  rawOps = perBucketOps(ops, await operations(), EXPIRED);
  if ((await remaining()) !== PROTECTED) throw new Error('raw loop left buckets behind');
  rounds.push({ janitorMs, rawMs });
}
const janitorMs = Math.min(...rounds.map((r) => r.janitorMs));
const rawMs = Math.min(...rounds.map((r) => r.rawMs));
if (process.env.BENCH_JANITOR === 'a') {
  moto.kill('SIGTERM');
  process.stdout.write(JSON.stringify({ expired: EXPIRED, protected: PROTECTED, objects: 5, janitorMs, rawMs, rounds, janitorOps, rawOps, janitorCpu, rawCpu }) + '\n');
  process.exit(0);
}

// (b) Requests per bucket of a live run, at two sizes.
const perBucket: Record<number, number> = {};
for (const n of [200, 2000]) {
  note(`(b) ${n} buckets`);
  await reset();
  await seed(names('dg-n-', n), () => ({ 'dg-expires-at': PAST }), 1);
  const before = await served();
  const result = await janitor(policy(url, { dryRun: false, maxDeletions: n, concurrency: 16 }));
  const requests = (await served()) - before;
  if (result.exitCode !== 0 || (await remaining()) !== 0) throw new Error(`janitor run over ${n}: exit ${result.exitCode}`);
  perBucket[n] = requests / n;
}

// (c) A dry-run plan over 10,000 buckets: a third expired, a third protected, a third not yet due.
const PLANNED = 10_000;
note(`(c) seeding ${PLANNED} buckets`);
await reset();
await seed(names('dg-p-', PLANNED), (i): Record<string, string> => (i % 3 === 0 ? { 'dg-expires-at': PAST } : i % 3 === 1 ? { 'dg-expires-at': PAST, Protected: 'true' } : { 'dg-expires-at': FUTURE }), 0);
const before = await served();
note('(c) dry-run plan');
const child = await new Promise<string>((resolve, reject) => {
  const p = spawn(process.execPath, [fileURLToPath(import.meta.url), 'plan', url], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let out = '';
  p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`plan child exited ${code}`))));
});
const plan = JSON.parse(child) as { ms: number; listed: number; eligible: number; peakRssMb: number };
const planRequests = (await served()) - before;

moto.kill('SIGTERM');
process.stdout.write(
  JSON.stringify({
    expired: EXPIRED,
    protected: PROTECTED,
    objects: 5,
    janitorMs,
    rawMs,
    rounds,
    janitorOps,
    rawOps,
    janitorCpu,
    rawCpu,
    perBucket,
    plan: { buckets: PLANNED, ms: plan.ms, listed: plan.listed, eligible: plan.eligible, requestsPerBucket: planRequests / PLANNED, peakRssMb: plan.peakRssMb },
  }) + '\n',
);
