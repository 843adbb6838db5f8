import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsQueryServer } from '../helpers/clouds/aws-query.ts';
import { S3Server } from '../helpers/clouds/s3.ts';
import { DriftGuardError } from '../../src/errors.ts';
import { awsProviders, janitorStep, runJanitor, S3RVER_CREDENTIALS, testClouds } from '../helpers/janitor.ts';

const PAST = String(Math.floor(Date.parse('2026-11-20T00:00:00Z') / 1000));
const NOW = new Date('2026-11-25T12:00:00Z');
const TF_ENV = { TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: '' };

let s3: S3Server;
let aws: AwsQueryServer;
let client: S3Client;
let root: string;
let holder: ChildProcess | undefined;

/** A real Terraform workspace of built-in terraform_data resources with a local backend. */
function workspace(env: string, destroyCommand: string): string {
  const dir = join(root, 'envs', env);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'main.tf'),
    `terraform {
  backend "local" {}
}

variable "hold_seconds" {
  type    = number
  default = 0
}

resource "terraform_data" "bucket" {
  input = { name = "dg-${env}" }
  provisioner "local-exec" {
    when    = destroy
    command = ${JSON.stringify(destroyCommand)}
  }
}

resource "terraform_data" "holder" {
  triggers_replace = [var.hold_seconds]
  provisioner "local-exec" {
    command = "sleep \${var.hold_seconds}"
  }
}
`,
  );
  execFileSync('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
  execFileSync('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
  return dir;
}

const policy = (extra = '') => `version: 1
dry_run: false
workflows:
  schedule: [janitor]
modules:
  janitor:
    terraform: { enabled: true, workdir: "${root}/envs/{env}", timeout: 60s, lock_timeout: 1s${extra} }
${awsProviders({ s3: s3.url, sts: aws.url })}`;

async function envBucket(env: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: `dg-${env}` }));
  await client.send(new PutBucketTaggingCommand({ Bucket: `dg-${env}`, Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: PAST }, { Key: 'dg-env', Value: env }] } }));
}
const buckets = async () => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);

beforeEach(async () => {
  s3 = await new S3Server().start();
  aws = await new AwsQueryServer().start();
  client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
  root = mkdtempSync(join(tmpdir(), 'dg-tf-'));
});
afterEach(async () => {
  holder?.kill('SIGKILL');
  holder = undefined;
  await s3.stop();
  await aws.stop();
  rmSync(root, { recursive: true, force: true });
});

const phase1 = (result: Awaited<ReturnType<typeof runJanitor>>) => janitorStep(result).outcome.actions.find((a) => a.kind === 'terraform destroy')!;
const phase2 = (result: Awaited<ReturnType<typeof runJanitor>>) => janitorStep(result).outcome.actions.find((a) => a.kind === 'delete')!;

describe('janitor phase 1: terraform destroy with the real binary', () => {
  it('refuses an environment whose resources have provisioners (a destroy-time one runs unchecked commands); the API phase deletes the bucket', async () => {
    await envBucket('pr-41');
    const dir = workspace('pr-41', `node -e "fetch('${'${'}s3}/dg-pr-41', { method: 'DELETE' }).then((r) => process.exit(r.ok ? 0 : 1))"`.replace('${s3}', s3.url));
    const result = await runJanitor(policy(), { now: NOW, cwd: root });
    expect(phase1(result)).toMatchObject({ target: 'pr-41', status: 'skipped' });
    expect(phase1(result).reason).toMatch(/^refused: the destroy would also remove what is not proven eligible: terraform_data\.bucket: it has provisioners/);
    expect(phase2(result)).toMatchObject({ status: 'done', reason: 'deleted' });
    expect(await buckets()).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(execFileSync('terraform', ['state', 'list'], { cwd: dir, env: { ...process.env, ...TF_ENV } }).toString()).toContain('terraform_data.bucket');
  });

  it('falls back to the API when the state lock is held', async () => {
    await envBucket('pr-42');
    const dir = workspace('pr-42', 'true');
    holder = spawn('terraform', ['apply', '-auto-approve', '-input=false', '-no-color', '-var', 'hold_seconds=30'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(join(dir, '.terraform.tfstate.lock.info')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(join(dir, '.terraform.tfstate.lock.info'))).toBe(true);
    const result = await runJanitor(policy(), { now: NOW, cwd: root });
    expect(phase1(result)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^fell back to the API: terraform plan -destroy exited 1: Error acquiring the state lock.*; nothing was destroyed$/) });
    expect(phase2(result)).toMatchObject({ status: 'done', reason: 'deleted' });
    expect(await buckets()).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('falls back to the API when the state file is broken', async () => {
    await envBucket('pr-43');
    const dir = workspace('pr-43', 'true');
    writeFileSync(join(dir, 'terraform.tfstate'), '{ this is not a state file');
    const result = await runJanitor(policy(), { now: NOW, cwd: root });
    expect(phase1(result)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^fell back to the API: terraform (init failed|plan -destroy exited 1): .+; nothing was destroyed$/) });
    expect(phase2(result)).toMatchObject({ status: 'done', reason: 'deleted' });
    expect(await buckets()).toEqual([]);
  });

  it('falls back when the environment has no working directory, or terraform overruns its timeout', async () => {
    await envBucket('pr-44');
    await envBucket('pr-45');
    workspace('pr-45', 'true');
    // A terraform that hangs: the time limit applies to every command it runs.
    const slow = join(root, 'slow-terraform');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 20\n', { mode: 0o755 });
    const result = await runJanitor(policy(`, binary: "${slow}"`).replace('timeout: 60s', 'timeout: 2s'), { now: NOW, cwd: root });
    const actions = janitorStep(result).outcome.actions.filter((a) => a.kind === 'terraform destroy');
    expect(actions).toEqual([
      expect.objectContaining({ target: 'pr-44', status: 'failed', reason: `fell back to the API: no Terraform working directory at ${root}/envs/pr-44` }),
      expect.objectContaining({ target: 'pr-45', status: 'failed', reason: 'fell back to the API: terraform init timed out after 2s; nothing was destroyed' }),
    ]);
    expect(await buckets()).toEqual([]);
  });

  it('when Terraform cannot have the proven account\'s credentials, nothing runs and the environment is kept (exit 3)', async () => {
    await envBucket('pr-47');
    const dir = workspace('pr-47', 'true');
    // The OIDC exchange failing when Terraform's credentials are asked for.
    const clouds = testClouds({
      async awsTerraformEnv({ account }) {
        throw new DriftGuardError('auth_refused', `cannot assume arn:aws:iam::${account}:role/janitor with the GitHub OIDC token: IDPCommunicationError`);
      },
    });
    const result = await runJanitor(policy(), { now: NOW, cwd: root, clouds });
    const reason = 'no AWS credentials for Terraform from the OIDC exchange for account 111111111111: cannot assume arn:aws:iam::111111111111:role/janitor with the GitHub OIDC token: IDPCommunicationError; terraform was not run and the environment\'s resources are kept';
    expect(phase1(result)).toMatchObject({ target: 'pr-47', status: 'skipped', reason: `kept: ${reason}` });
    expect(phase2(result)).toMatchObject({ status: 'skipped', reason: `kept with environment pr-47: ${reason}` });
    expect(await buckets()).toEqual(['dg-pr-47']);
    expect(result.exitCode).toBe(3);
    expect(execFileSync('terraform', ['state', 'list'], { cwd: dir, env: { ...process.env, ...TF_ENV } }).toString()).toContain('terraform_data.bucket');
  });

  it('in dry-run only plans the destroy', async () => {
    await envBucket('pr-46');
    const dir = workspace('pr-46', 'true');
    const result = await runJanitor(policy().replace('dry_run: false', 'dry_run: true'), { now: NOW, cwd: root });
    expect(phase1(result)).toMatchObject({ target: 'pr-46', status: 'planned' });
    expect(execFileSync('terraform', ['state', 'list'], { cwd: dir, env: { ...process.env, ...TF_ENV } }).toString()).toContain('terraform_data.bucket');
    expect(await buckets()).toEqual(['dg-pr-46']);
  });
});
