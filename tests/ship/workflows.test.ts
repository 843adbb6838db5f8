import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { commentPayload, example, prPayload } from '../helpers/github-run.ts';
import { evaluate } from '../helpers/workflow-runner.ts';

type Step = { id?: string; if?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { permissions?: Record<string, string> | string; steps: Step[]; if?: string; strategy?: { matrix?: unknown }; concurrency?: unknown };
type Workflow = { name: string; on: Record<string, unknown>; permissions?: unknown; concurrency?: { group: string; 'cancel-in-progress'?: boolean }; jobs: Record<string, Job> };

const dir = '.github/workflows';
const workflows = Object.fromEntries(readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => [f, parse(readFileSync(join(dir, f), 'utf8')) as Workflow]));
const READ_ONLY = new Set(['read', 'none']);
/** The workflows a team copies into its own repositories: DriftGuard there is the released Action. */
const COPIED = ['driftguard-main.yml', 'driftguard-publish.yml', 'janitor-cron.yml', 'drift.yml', 'standards.yml'];
const RELEASED_ACTION = /^driftguard\/driftguard@(v\d+|[0-9a-f]{40})$/;
/** Triggers whose default checkout, or whose subject, is a pull request's code. */
const PR_TRIGGERS = ['pull_request', 'pull_request_target', 'workflow_run'];
const writes = (job: Job) => typeof job.permissions === 'object' && Object.values(job.permissions).some((p) => p === 'write');

describe.each(Object.entries(workflows))('workflow %s', (_, wf) => {
  it('declares permissions at the top (nothing by default) and per job', () => {
    expect(wf.permissions).toEqual({});
    for (const job of Object.values(wf.jobs)) expect(job.permissions, JSON.stringify(job)).toBeTypeOf('object');
  });

  it('never interpolates an expression into a run: script (event text goes through env)', () => {
    for (const job of Object.values(wf.jobs)) for (const step of job.steps) if (step.run) expect(step.run).not.toContain('${{');
  });

  it('pins every action by full commit SHA (DriftGuard itself: its release tag, or a SHA)', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const step of job.steps) {
        if (!step.uses) continue;
        expect(step.uses).not.toMatch(/^\.\//);
        if (step.uses.startsWith('driftguard/')) expect(step.uses).toMatch(RELEASED_ACTION);
        else expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/);
      }
    }
  });

  it('never checks out pull request code in a job that may write', () => {
    const onPullRequest = Object.keys(wf.on).some((t) => PR_TRIGGERS.includes(t));
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (!writes(job)) continue;
      for (const step of job.steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) {
        // On a workflow with pull request triggers, such a job must be limited to other events (its checkout is then the default branch).
        const limited = /github\.event_name == '(issue_comment|push|schedule|workflow_dispatch)'/.test(job.if ?? '');
        expect(!onPullRequest || limited, `${name} may write and checks out on a pull request trigger`).toBe(true);
        expect(step.with?.ref, name).toBeUndefined();
        expect(step.with?.repository, name).toBeUndefined();
      }
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

describe.each(COPIED)('%s, which teams copy', (file) => {
  const wf = workflows[file]!;
  it('runs DriftGuard only as the released Action, never built from a checkout', () => {
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    // Pull request workflows run no script at all; the others only compute inputs.
    if (Object.keys(wf.on).some((t) => PR_TRIGGERS.includes(t) || t === 'issue_comment')) expect(steps.filter((s) => s.run !== undefined)).toEqual([]);
    expect(steps.some((s) => s.uses && RELEASED_ACTION.test(s.uses))).toBe(true);
    expect(JSON.stringify(wf)).not.toMatch(/npm (ci|install|run)|bin\/driftguard|node_modules/);
  });
});

describe.each(['janitor-cron.yml', 'drift.yml'])('%s and the governance report', (file) => {
  it('builds the report with the released Action, even after a failed run, into the audit folder it uploads', () => {
    const steps = Object.values(workflows[file]!.jobs).flatMap((j) => j.steps);
    const report = steps.findIndex((s) => s.with?.command === 'report');
    const upload = steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.path === '.artifacts/');
    expect(report).toBeGreaterThan(-1);
    expect(steps[report]).toMatchObject({ if: 'always()', uses: expect.stringMatching(RELEASED_ACTION) });
    expect(upload).toBeGreaterThan(report);
    const action = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, { default?: string }> };
    expect(action.inputs['audit-dir']!.default).toBe('.artifacts');
    expect(action.inputs.out!.default).toBe('.artifacts/report.html');
  });
});

describe('driftguard-main.yml', () => {
  const wf = workflows['driftguard-main.yml']!;
  const dg = (job: Job) => job.steps.find((s) => s.uses && RELEASED_ACTION.test(s.uses))!;
  const routed = (event: string, payload: Record<string, unknown>) =>
    Object.entries(wf.jobs).filter(([, job]) => evaluate(job.if!, { github: { event_name: event, event: payload, repository: 'Codertocat/Hello-World' } })).map(([name]) => name);
  const pr = (from: string) => {
    const payload = prPayload('opened', { number: 2, base: 'a'.repeat(40), head: 'b'.repeat(40), author: 'someone' });
    payload.pull_request.head.repo.full_name = from;
    return payload;
  };
  const comment = (body: string, onPullRequest = true) =>
    commentPayload({ id: 1, body, user: { login: 'maintainer', type: 'User' }, created_at: '2026-11-20T10:00:00Z', updated_at: '2026-11-20T10:00:00Z' }, 2, { onPullRequest });

  it('sends each event to one job: a branch of the repository, a fork, an override command', () => {
    expect(routed('pull_request', pr('Codertocat/Hello-World'))).toEqual(['pr-check']);
    expect(routed('pull_request', pr('forker/Hello-World'))).toEqual(['pr-verdict']);
    expect(routed('issue_comment', comment('/driftguard override hotfix'))).toEqual(['override']);
    expect(routed('issue_comment', comment('/driftguard override hotfix', false))).toEqual([]);
    expect(routed('issue_comment', comment('> /driftguard override quoted'))).toEqual([]);
  });

  it('reports a branch of the repository with checks and pull-request writes only, without a checkout', () => {
    const job = wf.jobs['pr-check']!;
    expect(job.permissions).toEqual({ contents: 'read', checks: 'write', 'pull-requests': 'write' });
    expect(job.steps.some((s) => s.uses?.startsWith('actions/checkout@'))).toBe(false);
    expect(dg(job).with).toMatchObject({ 'dry-run': 'false' });
    expect(dg(job).env).toEqual({ GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
  });

  it("computes a fork's verdict read-only, with no token and no secrets, and uploads it as an artifact", () => {
    const job = wf.jobs['pr-verdict']!;
    expect(job.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(job)).not.toMatch(/secrets\.|github\.token|GITHUB_TOKEN/);
    expect(dg(job).with).toMatchObject({ 'dry-run': 'true' });
    // The verdict is written outside the workspace, where the pull request's own files could sit.
    const dir = dg(job).with!['verdict-dir'] as string;
    expect(dir).toMatch(/^\$\{\{ runner\.temp \}\}\//);
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.name === 'driftguard-verdict')!;
    expect(upload.with?.path).toBe(`${dir}/`);
    expect(upload.if).toBe('always()');
    expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!.with?.['fetch-depth']).toBe(0);
  });

  it('handles overrides on issue_comment on the default branch, never the pull request, and may only write checks, statuses and comments', () => {
    const job = wf.jobs.override!;
    expect(job.if).toContain('github.event.issue.pull_request');
    expect(job.if).toContain("startsWith(github.event.comment.body, '/driftguard override')");
    const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with?.ref).toBeUndefined();
    expect(job.permissions).toEqual({ contents: 'read', checks: 'write', statuses: 'write', 'pull-requests': 'write' });
    expect(dg(job).with).toMatchObject({ 'dry-run': 'false' });
  });
});

describe('driftguard-publish.yml', () => {
  const wf = workflows['driftguard-publish.yml']!;
  const job = wf.jobs.publish!;
  const routes = (event: string, from: string) => {
    const payload = example('workflow_run', 'completed');
    payload.workflow_run.event = event;
    payload.workflow_run.head_repository.full_name = from;
    return Boolean(evaluate(job.if!, { github: { event_name: 'workflow_run', event: payload, repository: 'Codertocat/Hello-World' } }));
  };

  it("runs when driftguard-main.yml's run completes, for pull requests from forks only", () => {
    expect(wf.on).toEqual({ workflow_run: { workflows: [workflows['driftguard-main.yml']!.name], types: ['completed'] } });
    expect(routes('pull_request', 'forker/Hello-World')).toBe(true);
    expect(routes('pull_request', 'Codertocat/Hello-World')).toBe(false);
    expect(routes('push', 'forker/Hello-World')).toBe(false);
  });

  it('publishes with the released Action and the least it needs: read the run\'s artifacts, write checks and the comment', () => {
    expect(job.permissions).toEqual({ actions: 'read', contents: 'read', checks: 'write', 'pull-requests': 'write' });
    expect(job.steps.some((s) => s.uses?.startsWith('actions/checkout@') || s.uses?.startsWith('actions/download-artifact@'))).toBe(false);
    const step = job.steps.find((s) => s.uses && RELEASED_ACTION.test(s.uses))!;
    expect(step.with).toMatchObject({ command: 'publish', 'dry-run': 'false' });
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

  it('passes dry-run to the Action unless the run is explicitly live', () => {
    const script = job.steps.find((s) => s.id === 'mode')!;
    const step = job.steps.find((s) => s.uses && RELEASED_ACTION.test(s.uses))!;
    expect(step.with).toMatchObject({ event: 'schedule', 'dry-run': '${{ steps.mode.outputs.dry-run }}', provider: '${{ matrix.provider }}', region: '${{ matrix.region }}', shard: '${{ matrix.shard }}' });
    const mode = (env: Record<string, string>) => {
      const output = join(mkdtempSync(join(tmpdir(), 'dg-mode-')), 'output');
      writeFileSync(output, '');
      spawnSync('bash', ['-c', script.run!], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, ...env } });
      return readFileSync(output, 'utf8');
    };
    expect(mode({ EVENT_NAME: 'schedule', LIVE: '' })).toBe('dry-run=true\n');
    expect(mode({ EVENT_NAME: 'schedule', LIVE: 'true' })).toBe('dry-run=false\n');
    expect(mode({ EVENT_NAME: 'workflow_dispatch', INPUT_DRY_RUN: 'true' })).toBe('dry-run=true\n');
    expect(mode({ EVENT_NAME: 'workflow_dispatch', INPUT_DRY_RUN: 'false' })).toBe('dry-run=false\n');
    expect(mode({ EVENT_NAME: 'workflow_dispatch', INPUT_DRY_RUN: '' })).toBe('dry-run=true\n');
  });
});

describe('action.yml', () => {
  const action = parse(readFileSync('action.yml', 'utf8')) as { runs: { using: string; main: string }; inputs: Record<string, { default?: string }>; outputs: Record<string, unknown> };

  it('runs on the current Actions Node runtime from a shipped bundle, dry-run by default', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'action/dist/index.js' });
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['event', 'policy', 'dry-run']));
    expect(action.inputs['dry-run']!.default).toBe('true');
    expect(Object.keys(action.outputs)).toEqual(['verdict', 'exit-code']);
    expect(action.inputs.command!.default).toBe('run');
    expect(action.inputs['fail-on-blocked']!.default).toBe('true');
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['verdict-dir', 'run-id']));
  });

  it('the built bundle runs a PR check from its inputs, offline, and sets the verdict output', () => {
    execFileSync('npm', ['run', 'build:action', '--silent'], { stdio: 'ignore' });
    const work = mkdtempSync(join(tmpdir(), 'dg-action-'));
    execFileSync(process.execPath, ['bin/driftguard.js', 'demo', '--dir', join(work, 'repo')], { stdio: 'ignore' });
    // A shell script on the PR branch: its grammar (WebAssembly) must ship with the bundle.
    mkdirSync(join(work, 'repo', 'scripts'));
    writeFileSync(join(work, 'repo', 'scripts', 'deploy'), '#!/bin/sh\nexec ./serve --region "${DEPLOY_REGION:-eu}"\n');
    execFileSync('git', ['-C', join(work, 'repo'), 'add', 'scripts/deploy'], { stdio: 'ignore' });
    execFileSync('git', ['-C', join(work, 'repo'), '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'deploy script'], { stdio: 'ignore' });
    const output = join(work, 'output');
    writeFileSync(output, '');
    // The demo's own check left an audit artifact: only the Action's is looked at below.
    rmSync(join(work, 'repo', '.artifacts'), { recursive: true, force: true });
    const run = spawnSync(process.execPath, [join(process.cwd(), action.runs.main)], {
      cwd: join(work, 'repo'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, INPUT_EVENT: 'pr_opened', INPUT_POLICY: 'policy.yaml', 'INPUT_DRY-RUN': 'true', INPUT_BASE: 'main', GITHUB_OUTPUT: output },
    });
    expect(run.status).toBe(1);
    expect(run.stdout.toString()).toContain('RETRY_BUDGET_MS');
    expect(run.stdout.toString()).toContain('DEPLOY_REGION');
    expect(readFileSync(output, 'utf8')).toBe('verdict=blocked\nexit-code=1\n');
    // The changed TypeScript file was parsed on the parser thread the Action started.
    const audits = join(work, 'repo', '.artifacts');
    const audit = JSON.parse(readFileSync(join(audits, readdirSync(audits).find((f) => f.startsWith('driftguard-pr_opened-'))!), 'utf8')) as { steps: Array<{ outcome: { data: { jsParsed: { thread: number; main: number } } } }> };
    expect(audit.steps[0]!.outcome.data.jsParsed.main).toBe(0);
    expect(audit.steps[0]!.outcome.data.jsParsed.thread).toBeGreaterThan(0);
  });
});

describe('drift.yml', () => {
  const wf = workflows['drift.yml']!;
  const job = wf.jobs.drift!;
  const script = job.steps.find((s) => s.id === 'target')!.run!;
  const environmentFor = (cron: string, chosen = '') => {
    const output = join(mkdtempSync(join(tmpdir(), 'dg-target-')), 'output');
    writeFileSync(output, '');
    spawnSync('bash', ['-c', script], { env: { PATH: process.env.PATH, CRON: cron, CHOSEN: chosen, GITHUB_OUTPUT: output } });
    return readFileSync(output, 'utf8').replace(/^environment=/, '').trim();
  };

  it('runs the released Action on the chosen environment and region', () => {
    const step = job.steps.find((s) => s.uses && RELEASED_ACTION.test(s.uses))!;
    expect(step.with).toMatchObject({ event: 'dispatch', environment: '${{ steps.target.outputs.environment }}', region: '${{ matrix.region }}' });
  });

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

describe('standards.yml', () => {
  const wf = workflows['standards.yml']!;
  const job = wf.jobs.scan!;
  const dg = job.steps.find((s) => s.uses && RELEASED_ACTION.test(s.uses))!;

  it('runs daily and on demand, one shard of the organisation per job, never overlapping', () => {
    expect((wf.on.schedule as Array<{ cron: string }>).map((s) => s.cron)).toEqual([expect.stringMatching(/^\d+ \d+ \* \* \*$/)]);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
    const shards = (job.strategy?.matrix as { shard: string[] }).shard;
    expect(shards).toEqual(shards.map((_, i) => `${i}/${shards.length}`));
    expect(dg.with).toMatchObject({ event: 'schedule', shard: '${{ matrix.shard }}' });
  });

  it('is live on schedule, dry-run only when asked, and may only write issues (OIDC for the infra domain)', () => {
    expect(evaluate(String(dg.with!['dry-run']).replace(/^\$\{\{\s*|\s*\}\}$/g, ''), { inputs: {} })).toBe('false');
    expect(evaluate(String(dg.with!['dry-run']).replace(/^\$\{\{\s*|\s*\}\}$/g, ''), { inputs: { 'dry-run': true } })).toBe('true');
    expect(job.permissions).toEqual({ contents: 'read', issues: 'write', 'id-token': 'write' });
  });

  it('keeps the ETag cache between runs with actions/cache and leaves it out of the uploaded artifact', () => {
    const cache = job.steps.find((s) => s.uses?.startsWith('actions/cache@'))!;
    expect(cache.with?.path).toBe('.artifacts/standards-etags.json');
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(String(upload.with?.path)).toContain('!.artifacts/standards-etags.json');
  });
});
