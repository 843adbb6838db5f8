import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetBucketTaggingCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/limit.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { awsProviders, janitorStep, runJanitor, testClouds } from '../helpers/janitor.ts';

// A real CLI process, killed with SIGKILL mid-run, against moto on loopback. The CLI is bundled
// privately for this file so that another build of dist/ cannot pull files from under it.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXPIRED = 200;
let moto: MotoServer;
let dir: string;
let bundle: string;
let client: S3Client;

beforeAll(async () => {
  moto = await new MotoServer().start();
  dir = mkdtempSync(join(tmpdir(), 'dg-journal-'));
  bundle = join(ROOT, 'node_modules', '.cache', `dg-journal-test-${process.pid}`);
  await build({
    entryPoints: { cli: join(ROOT, 'cli/index.ts') },
    outdir: bundle,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['@aws-sdk/*', '@smithy/*', '@azure/*', '@google-cloud/*', '@google/genai', '@octokit/*', 'octokit'],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __dgCreateRequire } from 'node:module'; const require = __dgCreateRequire(import.meta.url);" },
  });
  client = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: moto.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
}, 60_000);
beforeEach(async () => {
  await moto.reset();
});
afterAll(async () => {
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (bundle) rmSync(bundle, { recursive: true, force: true });
});

const ENV = {
  PATH: process.env.PATH ?? '',
  ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  HOME: process.env.HOME ?? '/tmp',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs the janitor CLI; `killWhen` is polled every 10 ms and a true answer sends SIGKILL. */
function runCli(killWhen?: (elapsedMs: number) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(bundle, 'cli.js'), 'run', '--event', 'schedule', '--log-level', 'warn'], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.resume();
    const started = Date.now();
    const timer = killWhen
      ? setInterval(() => {
          if (killWhen(Date.now() - started)) child.kill('SIGKILL');
        }, 10)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stdout });
    });
  });
}

interface Record_ {
  kind: string;
  runId: string;
  op?: string;
  subject?: string;
  result?: string;
  resolved?: Record<string, string>;
}
const auditDir = () => join(dir, 'audit');
const journals = () => (existsSync(auditDir()) ? readdirSync(auditDir()).filter((n) => n.startsWith('driftguard-janitor-journal-')).sort() : []);
const recordsOf = (name: string): Record_[] =>
  readFileSync(join(auditDir(), name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record_];
      } catch {
        return [];
      }
    });
const destructive = () => journals().reduce((n, name) => n + recordsOf(name).filter((r) => r.kind === 'intent' || r.kind === 'result').length, 0);
const key = (bucket: string) => `aws/${moto.account}/us-east-1/s3_bucket/${bucket}`;

describe('janitor journal: a run killed mid-way is reported and completed by the next one', () => {
  it('deletes nothing when the journal cannot be written', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dg-journal-blocked-'));
    writeFileSync(join(cwd, 'blocked'), 'a file where the audit folder should be');
    await client.send(new CreateBucketCommand({ Bucket: 'dg-old' }));
    await client.send(new PutBucketTaggingCommand({ Bucket: 'dg-old', Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: String(Math.floor(Date.now() / 1000) - 3600) }] } }));
    const result = await runJanitor(
      `version: 1
dry_run: false
audit: { dir: blocked }
workflows: { schedule: [janitor] }
modules:
  janitor:
    terraform: { enabled: false }
${awsProviders({ s3: moto.url, sts: moto.url }).replace('111111111111', moto.account)}`,
      {
        cwd,
        clouds: testClouds({
          s3: async ({ region, endpoint, forcePathStyle }) => new S3Client({ region, endpoint, forcePathStyle, credentials: moto.credentials, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' }),
        }),
      },
    );
    expect(janitorStep(result).outcome.summary).toMatch(/^nothing deleted: the journal could not be opened in blocked: /);
    expect(result.exitCode).toBe(3);
    expect(((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name)).toEqual(['dg-old']);
  });

  it('SIGKILL at random points of a 200-bucket run: nothing kept is touched, everything eligible goes, the journals account for every delete', async () => {
    const past = String(Math.floor(Date.now() / 1000) - 3600);
    const expired = Array.from({ length: EXPIRED }, (_, i) => `dg-exp-${String(i).padStart(3, '0')}`);
    const kept: Array<[string, Record<string, string>]> = [
      ...Array.from({ length: 10 }, (_, i): [string, Record<string, string>] => [`dg-keep-${i}`, { 'dg-expires-at': past, 'dg-protected': 'true' }]),
      ...Array.from({ length: 10 }, (_, i): [string, Record<string, string>] => [`dg-new-${i}`, { 'dg-ttl': '24h' }]),
      ...Array.from({ length: 5 }, (_, i): [string, Record<string, string>] => [`team-${i}`, { 'dg-expires-at': past }]),
    ];
    await mapLimit([...expired.map((b): [string, Record<string, string>] => [b, { 'dg-expires-at': past }]), ...kept], 16, async ([bucket, tags]) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      await client.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: bucket }));
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'policy.yaml'),
      `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  schedule: [janitor]
modules:
  janitor:
    max_deletions: 1000
    concurrency: 8
    terraform: { enabled: false }
${awsProviders({ s3: moto.url, sts: moto.url }).replace('111111111111', moto.account)}`,
    );

    // Two interrupted runs: the first killed after a random number of journal records, the second
    // after a random time or a random number of records of its own, whichever comes first. Each
    // bucket costs at least two records, so neither bound lets a run finish: both are killed.
    const afterRecords = 1 + Math.floor(Math.random() * 150);
    const afterMs = 1000 + Math.floor(Math.random() * 8000);
    const secondRecords = 1 + Math.floor(Math.random() * 100);
    console.log(`killing after ${afterRecords} journal records, then after ${afterMs} ms or ${secondRecords} more records`);
    const first = await runCli(() => destructive() >= afterRecords);
    const base = destructive();
    const second = await runCli((ms) => ms >= afterMs || destructive() >= base + secondRecords);
    expect([first.signal, second.signal]).toEqual(['SIGKILL', 'SIGKILL']);
    const unfinished = journals().filter((name) => !recordsOf(name).some((r) => r.kind === 'close' || r.kind === 'accounted'));
    expect(unfinished.length).toBeGreaterThanOrEqual(1);

    // A dry run reports the interrupted runs and leaves their journals as they are.
    const dry = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [join(bundle, 'cli.js'), 'janitor', '--dry-run', '--log-level', 'warn'], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    expect(dry).toMatch(new RegExp(`${unfinished.length} interrupted earlier runs? to complete`));
    expect(dry).toMatch(/did not finish: \d+ of \d+ destructive calls it confirmed removed their resource/);
    expect(journals().filter((name) => !recordsOf(name).some((r) => r.kind === 'close' || r.kind === 'accounted'))).toEqual(unfinished);

    const last = await runCli();
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(new RegExp(`${unfinished.length} interrupted earlier runs? completed`));

    // Nothing kept was touched: every kept bucket is there with its object and its tags.
    const names = ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).sort();
    expect(names).toEqual(kept.map(([b]) => b).sort());
    for (const [bucket, tags] of kept) {
      expect((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(1);
      const tagSet = (await client.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet ?? [];
      expect(Object.fromEntries(tagSet.map((t) => [t.Key, t.Value]))).toEqual(tags);
    }

    // Every journal is closed or accounted for; each destructive call named an expired bucket.
    const all = journals().map(recordsOf);
    for (const records of all) expect(records.some((r) => r.kind === 'close' || r.kind === 'accounted')).toBe(true);
    const flat = all.flat();
    const intents = new Set(flat.filter((r) => r.kind === 'intent').map((r) => r.subject!));
    for (const subject of intents) expect(subject).toMatch(/\/dg-exp-\d{3}$/);
    // Every expired bucket's deletion was announced, and confirmed by a result or by the run that completed it.
    const confirmed = new Set([
      ...flat.filter((r) => r.kind === 'result' && (r.result === 'deleted' || r.result === 'gone')).map((r) => r.subject!),
      ...flat.filter((r) => r.kind === 'accounted').flatMap((r) => Object.entries(r.resolved ?? {}).filter(([, v]) => /^(deleted|not seen by this run)/.test(v)).map(([k]) => k)),
    ]);
    for (const bucket of expired) {
      expect(intents.has(key(bucket)), bucket).toBe(true);
      expect(confirmed.has(key(bucket)), bucket).toBe(true);
    }

    // The last run's audit artifact carries its journal, cross-checked, and the runs it completed.
    const audits = readdirSync(auditDir()).filter((n) => n.startsWith('driftguard-schedule-'));
    const audit = audits.map((n) => JSON.parse(readFileSync(join(auditDir(), n), 'utf8'))).find((a) => a.steps[0].outcome.data?.journal?.accounted?.length);
    expect(audit.steps[0].outcome.data.journal).toMatchObject({ unconfirmed: [], accounted: expect.arrayContaining([expect.any(String)]) });
    expect(audit.steps[0].outcome.findings).toContainEqual(expect.objectContaining({ rule: 'janitor.journal', message: expect.stringMatching(/^run \S+ by \S+ .*did not finish: /) }));
  }, 300_000);
});
