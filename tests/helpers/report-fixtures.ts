import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { runCli } from './cli.ts';
import { AwsQueryServer } from './clouds/aws-query.ts';
import { S3Server } from './clouds/s3.ts';
import { TestRepo } from './git-repo.ts';
import { commentPayload, prPayload, runInActions } from './github-run.ts';
import { GitHubServer } from './github-server.ts';
import { awsProviders, S3RVER_CREDENTIALS } from './janitor.ts';
import { PLAN } from '../drift/plan-fixture.ts';

/** Text a pull request controls, put where the dashboard shows it. */
export const HOSTILE = '<img src=x onerror="document.title=1">';

/**
 * An audit folder made by the real CLI, the way a team's downloaded artifacts look (one folder per
 * workflow): pull request checks of Codertocat/Hello-World (one undocumented setting in a file
 * whose name is hostile HTML, blocked), an override refused then one granted (with a hostile
 * reason) and the check re-run (overridden); three janitor runs on S3 (two dry runs, one live:
 * one bucket deleted, one kept, one skipped in doubt, its dg-ttl malformed, each time) with the live run's journal;
 * drift in acme/infra over two stacks, then clean again.
 */
export async function buildReportFixtures(): Promise<{ dir: string; expected: Expected }> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-report-fixtures-'));
  await prFixtures(join(dir, 'pr'));
  await janitorFixtures(join(dir, 'janitor'));
  await driftFixtures(join(dir, 'drift'));
  return {
    dir,
    expected: { runs: 10, blocked: 2, overridden: 2, refused: 1, granted: 1, deleted: 1, kept: 3, skipped: 3, planned: 2, drifted: 2, journals: 1 },
  };
}

export interface Expected {
  runs: number;
  blocked: number;
  overridden: number;
  refused: number;
  granted: number;
  deleted: number;
  kept: number;
  skipped: number;
  planned: number;
  drifted: number;
  journals: number;
}

const PR_POLICY = `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  pr_synchronize: [doc_sync]
  pr_comment: [override]
modules:
  doc_sync:
    ai: { enabled: false }
overrides:
  min_permission: write
`;

async function prFixtures(out: string): Promise<void> {
  const server = await new GitHubServer().start();
  const { repo, base, head } = TestRepo.withChange({ 'README.md': '# app\n', 'policy.yaml': PR_POLICY }, { [`src/${HOSTILE}.ts`]: 'export const a = process.env.NEW_VAR;\n' });
  try {
    server.pulls.set(2, { number: 2, state: 'open', user: { login: 'author' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: [`src/${HOSTILE}.ts`] });
    server.pushed(head, { pr: 2 });
    server.permissions.set('maintainer', 'write');
    server.permissions.set('reader', 'read');
    const check = () => runInActions(server, repo.dir, 'pull_request', prPayload('synchronize', { number: 2, base, head, author: 'author' }));
    const comment = (login: string, body: string) => {
      const stored = server.addComment(2, login, body, 'User');
      return runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, 2));
    };
    expect((await check()).code).toBe(1);
    expect((await comment('reader', '/driftguard override please')).stdout).toContain('REFUSED');
    expect((await comment('maintainer', `/driftguard override ${HOSTILE} docs follow`)).stdout).toContain('GRANTED');
    expect((await check()).code).toBe(0);
    cpSync(join(repo.dir, 'audit'), out, { recursive: true });
  } finally {
    await server.stop();
    repo.remove();
  }
}

async function janitorFixtures(out: string): Promise<void> {
  const s3 = await new S3Server().start();
  const aws = await new AwsQueryServer().start();
  const cwd = mkdtempSync(join(tmpdir(), 'dg-report-janitor-'));
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
  const policy = (live: boolean) => `version: 1\ndry_run: ${!live}\naudit: { dir: audit }\nworkflows:\n  schedule: [janitor]\nmodules:\n  janitor:\n    terraform: { enabled: false }\n${awsProviders({ s3: s3.url, sts: aws.url })}`;
  try {
    const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    const past = String(Math.floor(Date.now() / 1000) - 3600);
    for (const [name, tags] of [['dg-old', { 'dg-expires-at': past }], ['dg-keep', { 'dg-ttl': '24h' }], ['dg-odd', { 'dg-ttl': 'soon' }]] as const) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } }));
    }
    for (const live of [false, false, true]) {
      writeFileSync(join(cwd, 'policy.yaml'), policy(live));
      const run = await runCli(['run', '--event', 'schedule'], { cwd, env });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    cpSync(join(cwd, 'audit'), out, { recursive: true });
  } finally {
    await s3.stop();
    await aws.stop();
  }
}

async function driftFixtures(out: string): Promise<void> {
  const server = await new GitHubServer().start();
  const root = mkdtempSync(join(tmpdir(), 'dg-report-drift-'));
  try {
    const fixture = join(root, 'plan.json');
    // Real drift needs a real cloud: a stand-in binary plays Terraform and prints a plan shaped like `terraform show -json`.
    const fake = join(root, 'fake-terraform');
    writeFileSync(fake, `#!/usr/bin/env bash\ncase "$1" in\n  init) exit 0 ;;\n  plan) for a in "$@"; do case "$a" in -out=*) : > "\${a#-out=}" ;; esac; done; exit 2 ;;\n  show) cat "${fixture}" ;;\nesac\n`);
    chmodSync(fake, 0o755);
    for (const s of ['web', 'api']) mkdirSync(join(root, 'stacks', s), { recursive: true });
    writeFileSync(
      join(root, 'policy.yaml'),
      `version: 1\ndry_run: false\naudit: { dir: audit }\nworkflows:\n  schedule: [drift]\nmodules:\n  drift:\n    binary: ${fake}\n    stacks:\n      - { name: web, dir: stacks/web, environment: prod, region: eu-west-1 }\n      - { name: api, dir: stacks/api, environment: staging, region: us-east-1 }\n`,
    );
    const schedule = () => runInActions(server, root, 'schedule', { schedule: '0 */6 * * *', repository: { full_name: 'acme/infra', name: 'infra', owner: { login: 'acme' } } });
    writeFileSync(fixture, JSON.stringify(PLAN));
    expect((await schedule()).code).toBe(1);
    writeFileSync(fixture, JSON.stringify({ ...PLAN, resource_drift: [] }));
    expect((await schedule()).code).toBe(0);
    cpSync(join(root, 'audit'), out, { recursive: true });
  } finally {
    await server.stop();
  }
}

/** The audit artifacts (not journals) in a fixture folder, recursively. */
export function artifactFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /driftguard-[a-z_]+-.*\.json$/.test(f) && !f.includes('journal'));
}
