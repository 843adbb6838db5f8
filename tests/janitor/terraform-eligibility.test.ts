import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { awsProviders, janitorStep, runJanitor, testClouds } from '../helpers/janitor.ts';
import { applyBuckets, stateList, terraformCliEnv } from '../helpers/terraform-aws.ts';
import { S3Client as Client } from '@aws-sdk/client-s3';

// The real terraform binary and the real hashicorp/aws provider (local mirror) against moto.
const TF = 420_000;
let moto: MotoServer;
let root: string;
let tfEnv: Record<string, string>;
let client: S3Client;
const PAST = () => String(Math.floor(Date.now() / 1000) - 3600);

beforeAll(async () => {
  moto = await new MotoServer().start();
  root = mkdtempSync(join(tmpdir(), 'dg-tf-aws-'));
  tfEnv = terraformCliEnv(join(root, 'cli'));
  // The janitor runs terraform with this process's environment.
  Object.assign(process.env, tfEnv);
  client = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: moto.credentials });
}, 30_000);
afterAll(async () => {
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
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
    terraform: { enabled: true, workdir: "${root}/envs/{env}", timeout: 120s, lock_timeout: 5s }
${awsProviders({ s3: moto.url, sts: moto.url }).replace('111111111111', moto.account)}`;

const clouds = () =>
  testClouds({
    async s3({ region, endpoint, forcePathStyle }) {
      return new Client({ region, endpoint, forcePathStyle, credentials: moto.credentials, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' });
    },
  });
const buckets = async () => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name).sort();
const phase1 = (result: Awaited<ReturnType<typeof runJanitor>>) => janitorStep(result).outcome.actions.find((a) => a.kind === 'terraform destroy')!;
const deletes = (result: Awaited<ReturnType<typeof runJanitor>>) => janitorStep(result).outcome.actions.filter((a) => a.kind === 'delete');

describe('janitor phase 1 obeys the same eligibility as the API phase (real terraform, real AWS provider, moto)', () => {
  it('an environment of one expired, one protected and one fresh bucket loses only the expired one', async () => {
    const dir = join(root, 'envs', 'pr-41');
    await applyBuckets(dir, moto.url, [
      { resource: 'old', bucket: 'dg-pr-41-old', tags: { 'dg-env': 'pr-41', 'dg-expires-at': PAST() } },
      { resource: 'keep', bucket: 'dg-pr-41-keep', tags: { 'dg-env': 'pr-41', 'dg-expires-at': PAST(), 'dg-protected': 'true' } },
      { resource: 'fresh', bucket: 'dg-pr-41-fresh', tags: { 'dg-env': 'pr-41', 'dg-ttl': '24h' } },
    ], tfEnv);
    await client.send(new PutObjectCommand({ Bucket: 'dg-pr-41-keep', Key: 'data.txt', Body: 'keep me' }));

    const dry = await runJanitor(policy().replace('dry_run: false', 'dry_run: true'), { cwd: root, clouds: clouds() });
    expect(phase1(dry)).toMatchObject({ target: 'pr-41', status: 'planned', reason: expect.stringMatching(/^likely refused .*dg-pr-41-(keep|fresh) .*shares dg-env=pr-41 and is kept/) });

    const result = await runJanitor(policy(), { cwd: root, clouds: clouds() });
    expect(phase1(result)).toMatchObject({ target: 'pr-41', status: 'skipped' });
    expect(phase1(result).reason).toMatch(/^refused: the destroy would also remove what is not proven eligible: /);
    expect(phase1(result).reason).toContain('aws_s3_bucket.keep: dg-pr-41-keep must be kept: protected by tag dg-protected=true');
    expect(phase1(result).reason).toMatch(/aws_s3_bucket\.fresh: dg-pr-41-fresh must be kept: not expired: expires in/);
    const decisions = janitorStep(result).outcome.decisions;
    expect(decisions).toContainEqual({ subject: 'env pr-41', decision: 'terraform refused', reason: expect.any(String) });
    expect(decisions).toContainEqual(expect.objectContaining({ subject: 'env pr-41 aws_s3_bucket.old', decision: 'terraform may destroy' }));
    expect(janitorStep(result).outcome.findings).toContainEqual(expect.objectContaining({ rule: 'janitor.terraform', title: 'environment pr-41', severity: 'warning' }));
    expect(deletes(result)).toEqual([expect.objectContaining({ target: expect.stringContaining('dg-pr-41-old'), status: 'done', reason: 'deleted' })]);
    expect(await buckets()).toEqual(['dg-pr-41-fresh', 'dg-pr-41-keep']);
    expect(await stateList(dir, tfEnv)).toEqual(['aws_s3_bucket.fresh', 'aws_s3_bucket.keep', 'aws_s3_bucket.old']);
    expect(result.exitCode).toBe(0);
  }, TF);

  it('an all-expired environment is destroyed by Terraform, from the plan it checked', async () => {
    const dir = join(root, 'envs', 'pr-42');
    await applyBuckets(dir, moto.url, [
      { resource: 'a', bucket: 'dg-pr-42-a', tags: { 'dg-env': 'pr-42', 'dg-expires-at': PAST() } },
      { resource: 'b', bucket: 'dg-pr-42-b', tags: { 'dg-env': 'pr-42', 'dg-expires-at': PAST() } },
    ], tfEnv);
    await client.send(new PutObjectCommand({ Bucket: 'dg-pr-42-a', Key: 'x.txt', Body: 'x' }));

    const result = await runJanitor(policy(), { cwd: root, clouds: clouds() });
    expect(phase1(result)).toMatchObject({ target: 'pr-42', status: 'done', reason: '2 resources destroyed' });
    const decisions = janitorStep(result).outcome.decisions;
    for (const address of ['aws_s3_bucket.a', 'aws_s3_bucket.b']) {
      expect(decisions).toContainEqual({ subject: `env pr-42 ${address}`, decision: 'terraform may destroy', reason: expect.stringMatching(/^dg-pr-42-[ab]: expired /) });
    }
    expect(deletes(result).map((a) => [a.status, a.reason])).toEqual([
      ['done', 'already gone (terraform or an earlier run)'],
      ['done', 'already gone (terraform or an earlier run)'],
    ]);
    expect(await buckets()).toEqual([]);
    expect(await stateList(dir, tfEnv)).toEqual([]);
    expect(result.exitCode).toBe(0);
    // The journal announced the destroy before running it, and recorded its result after.
    const records = readdirSync(join(root, '.artifacts'))
      .filter((n) => n.startsWith('driftguard-janitor-journal-'))
      .flatMap((n) => readFileSync(join(root, '.artifacts', n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; op?: string; subject?: string; reason?: string; result?: string }))
      .filter((r) => r.subject === 'env pr-42');
    expect(records).toEqual([
      expect.objectContaining({ kind: 'intent', op: 'terraform destroy', reason: 'aws_s3_bucket.a, aws_s3_bucket.b' }),
      expect.objectContaining({ kind: 'result', op: 'terraform destroy', result: 'destroyed', reason: '2 resources destroyed' }),
    ]);
  }, TF);

  it('refuses a state that also manages a non-dg- resource', async () => {
    const dir = join(root, 'envs', 'pr-43');
    await applyBuckets(dir, moto.url, [
      { resource: 'old', bucket: 'dg-pr-43-old', tags: { 'dg-env': 'pr-43', 'dg-expires-at': PAST() } },
      { resource: 'logs', bucket: 'shared-logs', tags: { 'dg-expires-at': PAST() } },
    ], tfEnv);

    const result = await runJanitor(policy(), { cwd: root, clouds: clouds() });
    expect(phase1(result)).toMatchObject({ target: 'pr-43', status: 'skipped' });
    expect(phase1(result).reason).toContain('aws_s3_bucket.logs: shared-logs must be kept: name does not start with "dg-"');
    expect(deletes(result)).toEqual([expect.objectContaining({ target: expect.stringContaining('dg-pr-43-old'), status: 'done', reason: 'deleted' })]);
    expect(await buckets()).toEqual(['shared-logs']);
    expect(result.exitCode).toBe(0);
  }, TF);
});
