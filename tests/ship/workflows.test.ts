import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { permissions?: Record<string, string> | string; steps: Step[]; if?: string; strategy?: { matrix?: unknown }; concurrency?: unknown };
type Workflow = { on: Record<string, unknown>; permissions?: unknown; concurrency?: { group: string; 'cancel-in-progress'?: boolean }; jobs: Record<string, Job> };

const dir = '.github/workflows';
const workflows = Object.fromEntries(readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => [f, parse(readFileSync(join(dir, f), 'utf8')) as Workflow]));
const READ_ONLY = new Set(['read', 'none']);

describe.each(Object.entries(workflows))('workflow %s', (_, wf) => {
  it('declares permissions at the top (nothing by default) and per job', () => {
    expect(wf.permissions).toEqual({});
    for (const job of Object.values(wf.jobs)) expect(job.permissions, JSON.stringify(job)).toBeTypeOf('object');
  });

  it('never interpolates an expression into a run: script (event text goes through env)', () => {
    for (const job of Object.values(wf.jobs)) for (const step of job.steps) if (step.run) expect(step.run).not.toContain('${{');
  });

  it('pins every action by full commit SHA', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const step of job.steps) if (step.uses && !step.uses.startsWith('./')) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
    }
  });

  it('checks out without leaving a usable token behind, except where it must push', () => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const step of job.steps) {
        if (step.uses?.startsWith('actions/checkout@') && !(name === 'action-bundle')) expect(step.with?.['persist-credentials']).toBe(false);
      }
    }
  });
});

describe('driftguard-main.yml', () => {
  const wf = workflows['driftguard-main.yml']!;
  it('runs PR checks with a read-only token and no secrets', () => {
    const job = wf.jobs['pr-check']!;
    expect(Object.values(job.permissions as Record<string, string>).every((p) => READ_ONLY.has(p))).toBe(true);
    expect(JSON.stringify(job)).not.toMatch(/secrets\./);
    expect(job.steps.some((s) => s.run?.includes('driftguard.js run --dry-run'))).toBe(true);
    expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!.with?.['fetch-depth']).toBe(0);
  });

  it('handles overrides on issue_comment without checking out PR code', () => {
    const job = wf.jobs.override!;
    expect(job.if).toContain('github.event.issue.pull_request');
    expect(job.if).toContain("startsWith(github.event.comment.body, '/driftguard override')");
    const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with?.ref).toBeUndefined();
    expect(job.permissions).toMatchObject({ checks: 'write', 'pull-requests': 'write', contents: 'read' });
  });
});

describe('janitor-cron.yml', () => {
  const wf = workflows['janitor-cron.yml']!;
  const job = wf.jobs.janitor!;
  it('runs on a schedule and on demand, with a dry-run input that defaults to true', () => {
    expect(wf.on.schedule).toEqual([{ cron: expect.any(String) }]);
    expect((wf.on.workflow_dispatch as { inputs: Record<string, { default: unknown; type: string }> }).inputs['dry-run']).toMatchObject({ type: 'boolean', default: true });
  });

  it('never overlaps, uses OIDC, fans out over a matrix, and uploads the audit artifact', () => {
    expect(wf.concurrency).toEqual({ group: 'driftguard-janitor', 'cancel-in-progress': false });
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect((job.strategy?.matrix as { include: unknown[] }).include.length).toBeGreaterThan(1);
    expect(job.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.path === '.artifacts/')).toBe(true);
    expect(JSON.stringify(job)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AZURE_CLIENT_SECRET|credentials_json/);
  });

  it('passes --dry-run unless the run is explicitly live', () => {
    const script = job.steps.find((s) => s.run?.includes('janitor'))!;
    const run = (env: Record<string, string>) =>
      spawnSync('bash', ['-c', script.run!.replace('node bin/driftguard.js "${args[@]}"', 'printf "%s\\n" "${args[@]}"')], { env: { PATH: process.env.PATH, PROVIDER: 'aws', REGION: 'eu-west-1', SHARD: '', ...env } }).stdout.toString();
    expect(run({ EVENT_NAME: 'schedule', LIVE: '' })).toContain('--dry-run');
    expect(run({ EVENT_NAME: 'schedule', LIVE: 'true' })).not.toContain('--dry-run');
    expect(run({ EVENT_NAME: 'workflow_dispatch', INPUT_DRY_RUN: 'true' })).toContain('--dry-run');
    expect(run({ EVENT_NAME: 'workflow_dispatch', INPUT_DRY_RUN: 'false' })).not.toContain('--dry-run');
    expect(run({ EVENT_NAME: 'workflow_dispatch', INPUT_DRY_RUN: '' })).toContain('--dry-run');
  });
});

describe('action.yml', () => {
  const action = parse(readFileSync('action.yml', 'utf8')) as { runs: { using: string; main: string }; inputs: Record<string, { default?: string }>; outputs: Record<string, unknown> };

  it('runs on the current Actions Node runtime from a shipped bundle, dry-run by default', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'action/dist/index.js' });
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['event', 'policy', 'dry-run']));
    expect(action.inputs['dry-run']!.default).toBe('true');
    expect(Object.keys(action.outputs)).toEqual(['verdict', 'exit-code']);
  });

  it('the built bundle runs a PR check from its inputs, offline, and sets the verdict output', () => {
    execFileSync('npm', ['run', 'build:action', '--silent'], { stdio: 'ignore' });
    const work = mkdtempSync(join(tmpdir(), 'dg-action-'));
    execFileSync(process.execPath, ['bin/driftguard.js', 'demo', '--dir', join(work, 'repo')], { stdio: 'ignore' });
    const output = join(work, 'output');
    writeFileSync(output, '');
    const run = spawnSync(process.execPath, [join(process.cwd(), action.runs.main)], {
      cwd: join(work, 'repo'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, INPUT_EVENT: 'pr_opened', INPUT_POLICY: 'policy.yaml', 'INPUT_DRY-RUN': 'true', INPUT_BASE: 'main', GITHUB_OUTPUT: output },
    });
    expect(run.status).toBe(1);
    expect(run.stdout.toString()).toContain('RETRY_BUDGET_MS');
    expect(readFileSync(output, 'utf8')).toBe('verdict=blocked\nexit-code=1\n');
  });
});

describe('drift.yml', () => {
  const wf = workflows['drift.yml']!;
  const job = wf.jobs.drift!;
  const script = job.steps.find((s) => s.run?.includes('--event dispatch'))!.run!;
  const environmentFor = (cron: string, chosen = '') =>
    spawnSync('bash', ['-c', script.replace(/node bin\/driftguard\.js .*$/m, 'echo "$environment"')], { env: { PATH: process.env.PATH, CRON: cron, CHOSEN: chosen, REGION: 'eu-west-1' } }).stdout.toString().trim();

  it('runs production every 6 hours, QA twice a day, dev three times a week, any environment on demand', () => {
    const crons = (wf.on.schedule as Array<{ cron: string }>).map((s) => s.cron);
    expect(crons.map((c) => environmentFor(c))).toEqual(['prod', 'qa', 'dev']);
    expect(crons[0]).toMatch(/\*\/6 \* \* \*$/);
    expect(crons[1]).toMatch(/ \d+,\d+ \* \* \*$/);
    expect(crons[2]).toMatch(/\* \* \d,\d,\d$/);
    expect(environmentFor('', 'qa')).toBe('qa');
  });

  it('fans out over regions with OIDC and may only write issues', () => {
    expect(job.permissions).toEqual({ contents: 'read', issues: 'write', 'id-token': 'write' });
    expect((job.strategy?.matrix as { region: string[] }).region.length).toBeGreaterThan(1);
  });
});
