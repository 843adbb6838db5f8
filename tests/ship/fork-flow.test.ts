import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { runCli } from '../helpers/cli.ts';
import { commentPayload, example, prPayload, runInActions } from '../helpers/github-run.ts';
import { loadWorkflow, runJob, zip, type JobContext } from '../helpers/workflow-runner.ts';

const REPO = 'Codertocat/Hello-World';
const FORK = 'forker/Hello-World';
const POLICY = `version: 1
dry_run: false
audit: { dir: .artifacts }
workflows:
  pr_opened: [doc_sync]
  pr_synchronize: [doc_sync]
  pr_comment: [override]
modules:
  doc_sync:
    ai: { enabled: false }
`;

const main = loadWorkflow('driftguard-main.yml');
const publisher = loadWorkflow('driftguard-publish.yml');

let bundle: string;
let server: GitHubServer;
let repo: TestRepo;
let base: string;
let head: string;
let nextRun = 7000;
const cleanup: string[] = [];

beforeAll(() => {
  // The released Action is the bundle release.yml builds; a private copy, so other builds cannot race it.
  execFileSync('npm', ['run', 'build:action', '--silent'], { stdio: 'ignore' });
  bundle = mkdtempSync(join(tmpdir(), 'dg-bundle-'));
  cpSync('action/dist', bundle, { recursive: true });
  process.env.DRIFTGUARD_TEST_ACTION_BUNDLE = join(bundle, 'index.js');
}, 120_000);
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

beforeEach(async () => {
  server = await new GitHubServer().start();
  ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# app\n', 'policy.yaml': POLICY }, { 'src/a.ts': 'export const a = process.env.NEW_VAR;\n' }));
  server.serveRepository(repo.dir, 2, base, head);
  server.pulls.set(2, { number: 2, state: 'open', user: { login: 'forker' }, head: { sha: head, ref: 'feature', repo: { full_name: FORK } }, base: { sha: base, ref: 'main' }, files: ['src/a.ts'] });
  server.pushed(head, { pr: 2 });
  server.permissions.set('maintainer', 'write');
});
afterEach(async () => {
  await server.stop();
  repo.remove();
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What actions/checkout leaves: a full clone, on the PR's head or on the default branch. */
const clone = (branch: string) => () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dg-checkout-')), 'repo');
  execFileSync('git', ['clone', '--quiet', '--branch', branch, `file://${repo.dir}`, dir]);
  cleanup.push(dir);
  return dir;
};

function prEvent(action: string, from: string) {
  const payload = prPayload(action, { number: 2, base, head, author: 'forker' });
  payload.pull_request.head.ref = 'feature';
  payload.pull_request.head.repo.full_name = from;
  return payload;
}

async function job(workflow: typeof main, name: string, ctx: Partial<JobContext> & Pick<JobContext, 'eventName' | 'payload'>) {
  return runJob(workflow, name, { server, repository: REPO, runId: nextRun++, ...ctx });
}

/** The fork's pull_request run of driftguard-main.yml, as GitHub records it. */
async function forkRun(action: string): Promise<number> {
  const runId = nextRun++;
  const payload = prEvent(action, FORK);
  for (const name of Object.keys(main.jobs)) await job(main, name, { eventName: 'pull_request', payload, runId, checkout: clone('feature') });
  recordRun(runId, head);
  return runId;
}

function recordRun(runId: number, sha: string, extra: Partial<{ event: string; head_repository: string; head_branch: string }> = {}) {
  server.workflowRuns.set(runId, {
    id: runId,
    name: main.name,
    event: extra.event ?? 'pull_request',
    status: 'completed',
    conclusion: 'success',
    head_sha: sha,
    head_branch: extra.head_branch ?? 'feature',
    head_repository: { full_name: extra.head_repository ?? FORK },
    path: '.github/workflows/driftguard-main.yml',
    actor: { login: 'forker' },
    pull_requests: [],
    html_url: `https://github.test/${REPO}/actions/runs/${runId}`,
  });
}

/** driftguard-publish.yml on the workflow_run event of that run. */
async function publish(runId: number) {
  const payload = example('workflow_run', 'completed');
  const run = server.workflowRuns.get(runId)!;
  payload.workflow_run = { ...payload.workflow_run, id: runId, event: run.event, head_sha: run.head_sha, head_branch: run.head_branch, head_repository: { ...payload.workflow_run.head_repository, full_name: run.head_repository.full_name }, pull_requests: [] };
  payload.repository = { ...payload.repository, full_name: REPO, name: 'Hello-World', owner: { ...payload.repository.owner, login: 'Codertocat' } };
  return job(publisher, 'publish', { eventName: 'workflow_run', payload });
}

async function overrideComment(login: string, body: string) {
  const stored = server.addComment(2, login, body);
  return job(main, 'override', { eventName: 'issue_comment', payload: commentPayload(stored, 2), checkout: clone('main'), sha: base });
}

/** The check a branch protection rule reads: the latest run of that name on the commit. */
const required = (sha: string, name = 'driftguard/doc-sync') => server.checkRuns.filter((r) => r.head_sha === sha && r.name === name).at(-1);
/** Check-run text as rendered (markdown escapes removed), for matching. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/\\/g, '');
const runsOf = (sha: string) => server.checkRuns.filter((r) => r.head_sha === sha && r.name === 'driftguard/doc-sync').length;
const writes = () => server.writes().map((w) => `${w.method} ${w.path}`);

describe('a pull request from a fork, through the shipped workflows', () => {
  it('read-only run -> artifact -> publisher -> failing check; override -> neutral check; a new push voids it', async () => {
    const runId = await forkRun('opened');
    // The fork's run wrote nothing to GitHub and left its verdict as an artifact.
    expect(writes()).toEqual([]);
    expect(server.artifacts.filter((a) => a.run_id === runId).map((a) => a.name)).toEqual(['driftguard-verdict']);

    const published = await publish(runId);
    expect(published.ran).toBe(true);
    expect(published.checkedOut).toBe(false);
    expect(published.steps[0]!.outputs.verdict, published.steps[0]!.stderr).toBe('blocked');
    expect(required(head)).toMatchObject({ conclusion: 'failure' });
    expect(plain(required(head)!.output.summary)).toContain('NEW_VAR');
    expect(server.comments.some((c) => c.user.login === server.botLogin && plain(c.body).includes('NEW_VAR'))).toBe(true);

    // Someone who may not override: refused, and the required check stays red.
    server.permissions.set('reader', 'read');
    const refused = await overrideComment('reader', '/driftguard override trust me');
    expect(refused.ran).toBe(true);
    expect(required(head)).toMatchObject({ conclusion: 'failure' });

    const before = runsOf(head);
    const override = await overrideComment('maintainer', '/driftguard override docs follow in #12');
    expect(override.ran).toBe(true);
    expect(override.checkedOut).toBe(true);
    expect(override.steps[0]!.code, override.steps[0]!.stderr + override.steps[0]!.stdout).toBe(0);
    expect(['neutral', 'success']).toContain(required(head)!.conclusion);
    // The head was checked again and the overridden result published as a new check run.
    expect(runsOf(head)).toBe(before + 1);
    expect(plain(required(head)!.output.summary)).toContain('NEW_VAR');

    // A new push: the fork's next run and its publication are red again; the override was for the old head.
    repo.write({ 'src/b.ts': 'export const b = process.env.OTHER_VAR;\n' });
    const old = head;
    head = repo.commit('another push');
    server.serveRepository(repo.dir, 2, base, head);
    server.pushed(head, { pr: 2 });
    const second = await forkRun('synchronize');
    await publish(second);
    expect(required(head)).toMatchObject({ conclusion: 'failure' });
    expect(['neutral', 'success']).toContain(required(old)!.conclusion);
  });

  it('publish --artifact DIR takes a downloaded verdict, checked against the run the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-downloaded-'));
    cleanup.push(dir);
    const checkout = clone('feature')();
    const read = await runInActions(server, checkout, 'pull_request', prEvent('opened', FORK), ['--dry-run', '--verdict-dir', dir], { GITHUB_TOKEN: '' });
    expect(read.code).toBe(1);
    expect(writes()).toEqual([]);
    const runId = nextRun++;
    recordRun(runId, head);
    const env = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: REPO, GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url };
    const stale = nextRun++;
    recordRun(stale, base);
    const refused = await runCli(['publish', '--run-id', String(stale), '--artifact', dir], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`the verdict is for commit ${head.slice(0, 12)}, but workflow run ${stale} ran on ${base.slice(0, 12)}; nothing was published`);
    expect(writes()).toEqual([]);
    const published = await runCli(['publish', '--run-id', String(runId), '--artifact', dir], { cwd: dir, env });
    expect(published.code, published.stderr).toBe(1);
    expect(required(head)).toMatchObject({ conclusion: 'failure' });
  });

  it('a verdict file found in the folder beforehand is removed, even when the run fails before writing its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-verdict-'));
    cleanup.push(dir);
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out', 'driftguard-verdict.json'), JSON.stringify({ format: 1, outcome: 'pass' }));
    const noPolicy = TestRepo.withChange({ 'README.md': '# app\n' }, { 'src/a.ts': 'export const a = 1;\n' });
    try {
      const run = await runInActions(server, noPolicy.repo.dir, 'pull_request', prPayload('opened', { number: 2, base: noPolicy.base, head: noPolicy.head, author: 'forker' }), ['--dry-run', '--verdict-dir', join(dir, 'out')], { GITHUB_TOKEN: '' });
      expect(run.code).toBe(2);
      expect(existsSync(join(dir, 'out', 'driftguard-verdict.json'))).toBe(false);
    } finally {
      noPolicy.repo.remove();
    }
  });
});

describe('a pull request from a branch of the repository', () => {
  it('is reported by its own job (checks and sticky comment), which never checks the code out; an override turns it neutral', async () => {
    server.pulls.get(2)!.head.repo = { full_name: REPO };
    const payload = prEvent('opened', REPO);
    expect((await job(main, 'pr-verdict', { eventName: 'pull_request', payload, checkout: clone('feature') })).ran).toBe(false);
    const check = await job(main, 'pr-check', { eventName: 'pull_request', payload });
    expect(check.ran).toBe(true);
    expect(check.checkedOut).toBe(false);
    expect(check.steps[0]!.outputs.verdict, check.steps[0]!.stderr).toBe('blocked');
    expect(check.steps[0]!.code).toBe(0);
    expect(required(head)).toMatchObject({ conclusion: 'failure' });
    expect(server.comments.some((c) => c.user.login === server.botLogin && plain(c.body).includes('NEW_VAR'))).toBe(true);
    expect(plain(check.summary)).toContain('NEW_VAR');

    const override = await overrideComment('maintainer', '/driftguard override docs follow in #12');
    expect(override.steps[0]!.code, override.steps[0]!.stderr + override.steps[0]!.stdout).toBe(0);
    expect(['neutral', 'success'], override.steps[0]!.stdout).toContain(required(head)!.conclusion);
  });
});

describe('the publisher refuses an artifact it cannot tie to the run', () => {
  const verdict = (over: Record<string, unknown> = {}) => ({
    format: 1,
    repository: REPO,
    pullRequest: 2,
    headSha: head,
    baseSha: base,
    event: 'pr_opened',
    outcome: 'pass',
    steps: [{ module: 'doc_sync', verdict: 'pass', summary: 'nothing undocumented', findings: [] }],
    report: 'PASS',
    ...over,
  });
  async function forged(content: Buffer | string | Record<string, unknown>, options: { size?: number; sha?: string } = {}) {
    const runId = nextRun++;
    recordRun(runId, options.sha ?? head);
    const file = typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content);
    server.addArtifact(runId, 'driftguard-verdict', zip({ 'driftguard-verdict.json': file }), options.size ? { size_in_bytes: options.size } : {});
    const result = await publish(runId);
    return { ...result.steps[0]!, ran: result.ran, runId };
  }
  const nothingPublished = () => expect(writes()).toEqual([]);

  it('one claiming another commit', async () => {
    const run = await forged(verdict({ headSha: base }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`the verdict is for commit ${base.slice(0, 12)}, but workflow run`);
    expect(run.stderr).toContain('nothing was published');
    nothingPublished();
  });

  it('one claiming another pull request', async () => {
    server.pulls.set(3, { number: 3, state: 'open', user: { login: 'someone' }, head: { sha: head, ref: 'other', repo: { full_name: 'someone/Hello-World' } }, base: { sha: base, ref: 'main' }, files: ['README.md'] });
    const run = await forged(verdict({ pullRequest: 3 }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`the verdict names pull request #3, but workflow run ${run.runId} belongs to #2; nothing was published`);
    nothingPublished();
  });

  it('one for another repository', async () => {
    const run = await forged(verdict({ repository: 'evil/elsewhere' }));
    expect(run.stderr).toContain(`the verdict is for evil/elsewhere, not ${REPO}; nothing was published`);
    nothingPublished();
  });

  it('an oversize artifact, by its declared size, by what is served, and once inflated', async () => {
    expect((await forged(verdict(), { size: 5 * 1024 * 1024 })).stderr).toContain('bytes, over the 1048576-byte limit; nothing was published');
    const noise = randomBytes(1_300_000);
    expect((await forged(noise, { size: 1000 })).stderr).toContain('over the 1048576-byte limit; nothing was published');
    const big = JSON.stringify(verdict({ report: 'x'.repeat(5 * 1024 * 1024) }));
    expect((await forged(big)).stderr).toContain('driftguard-verdict.json is larger than 4194304 bytes; nothing was published');
    // The same, with an archive that declares a small size: inflating stops at the limit.
    const lying = zip({ 'driftguard-verdict.json': big });
    lying.writeUInt32LE(100, lying.readUInt32LE(lying.length - 6) + 24);
    const runId = nextRun++;
    recordRun(runId, head);
    server.addArtifact(runId, 'driftguard-verdict', lying);
    expect((await publish(runId)).steps[0]!.stderr).toContain('driftguard-verdict.json inflates to more than 4194304 bytes; nothing was published');
    nothingPublished();
  });

  it('a malformed artifact: not JSON, not the schema, steps the policy does not have, not a zip', async () => {
    expect((await forged('{"format": 1,')).stderr).toContain('the verdict file is not JSON');
    const wrong = await forged(verdict({ outcome: 'green', extra: true }));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('is not a valid DriftGuard verdict (format 1); nothing was published');
    expect(wrong.stderr).toContain('outcome:');
    expect((await forged(verdict({ steps: [] }))).stderr).toContain("the verdict's steps (none) are not the pr_opened workflow of the policy on main (doc_sync)");
    const runId = nextRun++;
    recordRun(runId, head);
    server.addArtifact(runId, 'driftguard-verdict', Buffer.from('not a zip at all'));
    expect((await publish(runId)).steps[0]!.stderr).toContain('cannot be read: not a zip archive');
    nothingPublished();
  });

  it('two artifacts of that name, an expired one, and a run GitHub ties to another pull request', async () => {
    const file = JSON.stringify(verdict());
    const twice = nextRun++;
    recordRun(twice, head);
    server.addArtifact(twice, 'driftguard-verdict', zip({ 'driftguard-verdict.json': file }));
    server.addArtifact(twice, 'driftguard-verdict', zip({ 'driftguard-verdict.json': file }));
    expect((await publish(twice)).steps[0]!.stderr).toContain(`workflow run ${twice} has 2 artifacts named driftguard-verdict; nothing was published`);
    const expired = nextRun++;
    recordRun(expired, head);
    server.addArtifact(expired, 'driftguard-verdict', zip({ 'driftguard-verdict.json': file }), { expired: true });
    expect((await publish(expired)).steps[0]!.stderr).toContain('has expired; nothing was published');
    const tied = nextRun++;
    recordRun(tied, head);
    server.workflowRuns.get(tied)!.pull_requests = [{ number: 9, head: { sha: head }, base: { sha: base } }];
    server.addArtifact(tied, 'driftguard-verdict', zip({ 'driftguard-verdict.json': file }));
    expect((await publish(tied)).steps[0]!.stderr).toContain(`the verdict names pull request #2, but workflow run ${tied} belongs to #9; nothing was published`);
    nothingPublished();
  });

  it('a run that was not for a pull request, and a run with no verdict', async () => {
    const push = nextRun++;
    recordRun(push, head, { event: 'push' });
    expect((await publish(push)).ran).toBe(false);
    const empty = nextRun++;
    recordRun(empty, head);
    expect((await publish(empty)).steps[0]!.stderr).toContain(`workflow run ${empty} has no driftguard-verdict artifact`);
    nothingPublished();
  });

  it('a passing verdict from a run whose workflow the pull request changed publishes a failing check instead', async () => {
    server.pulls.get(2)!.files.push('.github/workflows/driftguard-main.yml');
    const run = await forged(verdict());
    expect(run.outputs.verdict).toBe('blocked');
    expect(required(head)).toMatchObject({ conclusion: 'failure' });
    expect(plain(required(head)!.output.summary)).toContain('changes .github/workflows/driftguard-main.yml');
  });
});
