import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { commentPayload, example, prPayload } from '../helpers/github-run.ts';

const EXAMPLE = readFileSync(new URL('../../examples/lifecycles/dual-lane.yaml', import.meta.url), 'utf8');
const POLICY = `${EXAMPLE}audit: { dir: audit }\n`;

const L = {
  building: 'lane: building',
  enforcing: 'lane: enforcing',
  gates: 'lane: gates running',
  revision: 'lane: needs revision',
  escalated: 'lane: escalated',
  ready: 'lane: ready to merge',
  merged: 'lane: merged',
};

let server: GitHubServer;
let repo: TestRepo;
let base: string;
let firstHead: string;
const heads = new Map<number, string>();
let shaCounter = 0;

beforeEach(async () => {
  server = await new GitHubServer().start();
  ({ repo, base, head: firstHead } = TestRepo.withChange({ 'README.md': '# app\n', 'policy.yaml': POLICY }, { 'src/a.ts': 'export const a = 1;\n' }));
  server.teams.set('acme/builders', new Set(['bob']));
  server.teams.set('acme/enforcers', new Set(['erin']));
  server.teams.set('acme/supervisors', new Set(['sue']));
  server.teams.set('acme/leads', new Set(['lee']));
  for (const user of ['bob', 'erin', 'sue', 'lee', 'mallory']) server.permissions.set(user, 'write');
});
afterEach(async () => {
  await server.stop();
  repo.remove();
});

/** `driftguard lifecycle` as the GitHub Action runs it: event name and payload file from the environment. */
async function lifecycle(githubEvent: string, payload: Record<string, any>, code = 0, extra: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'dg-lc-'));
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(payload));
  const result = await runCli(['lifecycle', ...extra], {
    cwd: repo.dir,
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: githubEvent,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_TOKEN: server.token,
      GITHUB_API_URL: server.url,
      GITHUB_REPOSITORY: 'Codertocat/Hello-World',
      GITHUB_RUN_ID: String(++shaCounter),
    },
  });
  expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  expect(result.code).toBe(code);
  return result;
}

const newSha = () => (++shaCounter).toString(16).padStart(40, 'c');
const labels = (pr: number) => [...(server.labels.get(pr) ?? [])].sort();
const lastCheck = (pr: number) => server.checkRuns.filter((c) => c.name === 'driftguard/lifecycle' && c.head_sha === heads.get(pr)).at(-1)!;
const replies = (pr: number) => server.comments.filter((c) => c.issue === pr && c.user.login === server.botLogin && c.body.startsWith('<!-- driftguard:lifecycle-reply dual-lane -->'));
const statusComments = (pr: number) => server.comments.filter((c) => c.issue === pr && c.user.login === server.botLogin && c.body.startsWith('<!-- driftguard:lifecycle dual-lane -->'));
/** A comment body as a reader sees it rendered: Markdown escapes and zero-width spaces gone. */
const shown = (body: string) => body.replace(/&#8203;/g, '').replace(/\*\*/g, '').replace(/\\(.)/g, '$1');
const audits = () => readdirSync(join(repo.dir, 'audit')).map((f) => JSON.parse(readFileSync(join(repo.dir, 'audit', f), 'utf8')));
const transitions = () => audits().flatMap((a) => a.transitions).sort((a, b) => (a.at < b.at ? -1 : 1));

function pullPayload(action: string, pr: number, sender: string, extra: Record<string, any> = {}) {
  const payload = prPayload(action, { number: pr, base, head: heads.get(pr)!, author: 'erin' });
  payload.sender.login = sender;
  payload.pull_request.base.ref = 'main';
  return Object.assign(payload, extra);
}

function open(pr: number, message = 'Apply the patch', code = 0) {
  const sha = pr === 7 ? firstHead : newSha();
  heads.set(pr, sha);
  server.pulls.set(pr, { number: pr, state: 'open', user: { login: 'erin' }, head: { sha, ref: `lane-${pr}` }, base: { sha: base, ref: 'main' }, files: ['src/a.ts'] });
  server.pushed(sha, { pr });
  server.commits.get(sha)!.message = message;
  return lifecycle('pull_request', pullPayload('opened', pr, 'erin'), code);
}

function push(pr: number, sender: string, message: string) {
  const sha = newSha();
  heads.set(pr, sha);
  server.pushed(sha, { pr });
  server.commits.get(sha)!.message = message;
  return lifecycle('pull_request', pullPayload('synchronize', pr, sender));
}

function addLabel(pr: number, label: string, actor: string) {
  server.label(pr, label, actor);
  const payload = pullPayload('labeled', pr, actor);
  payload.action = 'labeled';
  payload.label = { ...example('pull_request', 'labeled').label, name: label };
  return lifecycle('pull_request', payload);
}

function removeLabel(pr: number, label: string, actor: string) {
  server.unlabel(pr, label, actor);
  const payload = example('pull_request', 'unlabeled');
  Object.assign(payload.pull_request, { number: pr, user: { ...payload.pull_request.user, login: 'erin' } });
  payload.pull_request.head.sha = heads.get(pr);
  payload.pull_request.base = { ...payload.pull_request.base, sha: base, ref: 'main' };
  payload.number = pr;
  payload.sender.login = actor;
  payload.label = { ...payload.label, name: label };
  return lifecycle('pull_request', payload);
}

function comment(pr: number, login: string, body: string, type = 'User') {
  return lifecycle('issue_comment', commentPayload(server.addComment(pr, login, body, type), pr));
}

function workflowStarted(pr: number, name: string) {
  const payload = example('workflow_run', 'requested');
  Object.assign(payload.workflow_run, { name, status: 'queued', conclusion: null, head_sha: heads.get(pr), pull_requests: [{ number: pr, head: { sha: heads.get(pr) }, base: { sha: base } }] });
  return lifecycle('workflow_run', payload);
}

/** A check run completed on the pull request's head, posted by `app` (the supervisor lane's app for ai-review, Actions otherwise). */
function checkCompleted(pr: number, name: string, conclusion: string, output: { summary?: string; text?: string } = {}, app = name === 'ai-review' ? 'supervisor-bot' : 'github-actions') {
  const at = server.now();
  const run = { id: 5000 + ++shaCounter, name, head_sha: heads.get(pr)!, external_id: null, status: 'completed', conclusion, started_at: at, completed_at: at, output: { title: name, summary: output.summary ?? null, text: output.text ?? null, annotations_count: 0 }, annotations: [], app: { slug: app } };
  server.checkRuns.push(run);
  const payload = example('check_run', 'completed');
  Object.assign(payload.check_run, { id: run.id, name, conclusion, status: 'completed', head_sha: run.head_sha, output: run.output, app: { ...payload.check_run.app, slug: app } });
  payload.check_run.pull_requests = [{ ...payload.check_run.pull_requests[0], number: pr }];
  return lifecycle('check_run', payload);
}

function review(pr: number, login: string, state: 'approved' | 'changes_requested') {
  const list = server.reviews.get(pr) ?? [];
  list.push({ user: { login, type: 'User' }, state: state.toUpperCase(), commit_id: heads.get(pr)! });
  server.reviews.set(pr, list);
  const payload = example('pull_request_review', 'submitted');
  payload.review = { ...payload.review, state, user: { ...payload.review.user, login }, commit_id: heads.get(pr) };
  Object.assign(payload.pull_request, { number: pr });
  payload.pull_request.head.sha = heads.get(pr);
  payload.pull_request.base.sha = base;
  payload.pull_request.base.ref = 'main';
  payload.sender.login = login;
  return lifecycle('pull_request_review', payload);
}

/** building (opened) -> enforcing (marker pushed by the builder) -> gates_running (gates started). */
async function toGatesRunning(pr: number) {
  await open(pr, 'wip');
  await push(pr, 'bob', 'Apply patch\n\n[BUILD-READY:4f2a9c1e]');
  await workflowStarted(pr, 'gates');
  expect(labels(pr)).toEqual([L.gates]);
}

// Each step is a real CLI run: generous per-test time on shared CPUs.
describe('the dual-lane lifecycle (examples/lifecycles/dual-lane.yaml)', { timeout: 300_000 }, () => {
  it('replays the normal flow: building -> enforcing on the marker -> gates_running -> ready_to_merge -> merged, with the check green only where it may merge', async () => {
    const opened = await open(7, 'wip: first half of the patch');
    expect(opened.stdout).toContain('STATE #7 dual-lane: building');
    expect(labels(7)).toEqual([L.building]);
    expect(lastCheck(7)).toMatchObject({ conclusion: 'failure', output: expect.objectContaining({ title: 'dual-lane: building' }) });
    expect(shown(lastCheck(7).output.summary ?? '')).toContain('[BUILD-READY:<hash>]');

    const built = await push(7, 'bob', 'Apply the patch\n\n[BUILD-READY:4f2a9c1e]');
    expect(built.stdout).toContain('TRANSITION #7 dual-lane: building -> enforcing by bob');
    expect(labels(7)).toEqual([L.enforcing]);

    await workflowStarted(7, 'gates');
    expect(labels(7)).toEqual([L.gates]);
    expect(lastCheck(7).conclusion).toBe('failure');

    // Too early: no supervisor approval, gates not passed, no verdict. Refused, answered once.
    const early = await comment(7, 'sue', '/verify PASS');
    expect(early.stdout).toContain('REFUSED #7 dual-lane in gates_running, by sue: needs 1 approval by supervisor on the head commit, has 0');
    expect(labels(7)).toEqual([L.gates]);
    expect(replies(7)).toHaveLength(1);

    await review(7, 'sue', 'approved');
    await checkCompleted(7, 'gates', 'success');
    await checkCompleted(7, 'ai-review', 'success', { summary: 'verdict: PASS\nconfidence: 80%' });
    const low = await comment(7, 'sue', '/verify PASS');
    expect(low.stdout).toContain('needs confidence >= 85% from check ai-review (it says 80%)');
    // A newer run of the same name from another app (a workflow the pull request could edit) gives no verdict.
    await checkCompleted(7, 'ai-review', 'success', { summary: 'verdict: PASS\nconfidence: 99%' }, 'github-actions');
    const forged = await comment(7, 'sue', '/verify PASS');
    expect(forged.stdout).toContain('needs confidence >= 85% from check ai-review (it says 80%)');
    expect(labels(7)).toEqual([L.gates]);
    await checkCompleted(7, 'ai-review', 'success', { summary: 'Model review of the patch.', text: 'verdict: PASS\nconfidence: 92%' });
    expect(labels(7)).toEqual([L.gates]);

    const passed = await comment(7, 'sue', '/verify PASS all gates green');
    expect(passed.stdout).toContain('TRANSITION #7 dual-lane: gates_running -> ready_to_merge by sue: the supervisor passed it');
    expect(labels(7)).toEqual([L.ready]);
    expect(lastCheck(7)).toMatchObject({ conclusion: 'success', output: expect.objectContaining({ title: 'dual-lane: ready_to_merge (may merge)' }) });

    server.pulls.get(7)!.state = 'closed';
    const closed = pullPayload('closed', 7, 'erin');
    closed.pull_request.merged = true;
    const merged = await lifecycle('pull_request', closed);
    expect(merged.stdout).toContain('TRANSITION #7 dual-lane: ready_to_merge -> merged');
    expect(labels(7)).toEqual([L.merged]);

    // One status comment, updated in place; the refusals share one reply.
    expect(statusComments(7)).toHaveLength(1);
    expect(shown(statusComments(7)[0]!.body)).toContain('ready_to_merge → merged by @erin');
    expect(replies(7)).toHaveLength(1);

    // Every transition is in the audit artifacts: who, when, from, to, why.
    expect(transitions().map((t) => [t.from, t.to, t.by])).toEqual([
      ['building', 'enforcing', 'bob'],
      ['enforcing', 'gates_running', 'Codertocat'],
      ['gates_running', 'ready_to_merge', 'sue'],
      ['ready_to_merge', 'merged', 'erin'],
    ]);
    expect(transitions()[0]).toMatchObject({ pr: 7, lifecycle: 'dual-lane', why: 'the patch is built and handed to the enforcer lane', marker: 'BUILD-READY:4f2a9c1e', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('sends a pull request back to building when a gate fails: needs_revision, then a push by the builder lane', async () => {
    await toGatesRunning(7);
    const failed = await checkCompleted(7, 'gates', 'failure');
    expect(failed.stdout).toContain('TRANSITION #7 dual-lane: gates_running -> needs_revision by Codertocat: a gate failed');
    expect(labels(7)).toEqual([L.revision]);

    // A push by someone outside the builder and enforcer roles moves nothing and is answered.
    const outsider = await push(7, 'mallory', 'fix');
    expect(outsider.stdout).toContain('REFUSED #7 dual-lane in needs_revision, by mallory: only builder or enforcer may do this (new commits)');
    expect(labels(7)).toEqual([L.revision]);
    expect(shown(replies(7)[0]!.body)).toContain('The change by @mallory was not applied: only builder or enforcer may do this (new commits).');

    const revised = await push(7, 'bob', 'Revise the patch');
    expect(revised.stdout).toContain('TRANSITION #7 dual-lane: needs_revision -> building by bob: a revision was pushed');
    expect(labels(7)).toEqual([L.building]);
    expect(lastCheck(7).conclusion).toBe('failure');
  });

  it('escalates gates that run past 4 hours on a scheduled run, asks the leads, and lets only a lead approve, with a written reason', async () => {
    const now = Date.now();
    server.setClock(new Date(now - 5 * 3_600_000).toISOString());
    await toGatesRunning(7);
    // A label removed by hand and restored does not restart the state's time.
    server.setClock(new Date(now - 2 * 3_600_000).toISOString());
    await removeLabel(7, L.gates, 'mallory');
    expect(labels(7)).toEqual([L.gates]);
    server.setClock(new Date(now - 1 * 3_600_000).toISOString());
    await toGatesRunning(8);

    const scheduled = await lifecycle('schedule', { schedule: '*/30 * * * *' });
    expect(scheduled.stdout).toContain('TRANSITION #7 dual-lane: gates_running -> escalated by');
    expect(scheduled.stdout).toContain('STATE #8 dual-lane: gates_running');
    expect(labels(7)).toEqual([L.escalated]);
    expect(labels(8)).toEqual([L.gates]);
    expect(server.reviewRequests).toEqual([{ pr: 7, teams: ['leads'], users: [] }]);

    const bySupervisor = await comment(7, 'sue', '/approve the runner is down');
    expect(bySupervisor.stdout).toContain('REFUSED #7 dual-lane in escalated, by sue: only lead may do this (/approve with a reason)');
    const noReason = await comment(7, 'lee', '/approve');
    expect(noReason.stdout).toContain('/approve needs a written reason after its words');
    expect(labels(7)).toEqual([L.escalated]);

    const approved = await comment(7, 'lee', '/approve gates runner down since 09:00; verified by hand @everyone');
    expect(approved.stdout).toContain('TRANSITION #7 dual-lane: escalated -> ready_to_merge by lee: the lead approved it (reason: gates runner down since 09:00; verified by hand @everyone)');
    expect(labels(7)).toEqual([L.ready]);
    expect(lastCheck(7).conclusion).toBe('success');
    const status = statusComments(7)[0]!.body;
    // The reason is shown as typed, and pings no one.
    expect(status).toContain('@&#8203;everyone');
    expect(shown(status)).toContain('reason: gates runner down since 09:00; verified by hand @everyone');
    expect(transitions().find((t) => t.to === 'ready_to_merge')).toMatchObject({ by: 'lee', from: 'escalated', reason: 'gates runner down since 09:00; verified by hand @everyone' });
    expect(replies(7)).toHaveLength(1);
  });

  it('reverts a state label set or removed by someone outside the role, and answers once', async () => {
    await toGatesRunning(7);
    const first = await addLabel(7, L.ready, 'mallory');
    expect(first.stdout).toContain('REFUSED #7 dual-lane in gates_running, by mallory: only supervisor may do this (label ready_to_merge added) (label lane: ready to merge removed)');
    expect(labels(7)).toEqual([L.gates]);
    expect(replies(7)).toHaveLength(1);
    expect(shown(replies(7)[0]!.body)).toContain('Label "lane: ready to merge" added by @mallory was removed: only supervisor may do this');
    expect(lastCheck(7).conclusion).toBe('failure');

    await addLabel(7, L.ready, 'mallory');
    expect(labels(7)).toEqual([L.gates]);
    const afterSecond = replies(7);
    expect(afterSecond).toHaveLength(1);

    // A label no transition leads to by hand, even from a lead.
    const skip = await addLabel(7, L.merged, 'lee');
    expect(skip.stdout).toContain('no transition leads from gates_running to merged by adding its label');
    expect(labels(7)).toEqual([L.gates]);

    // The supervisor holds the role, but the guards still apply to a label.
    const guarded = await addLabel(7, L.ready, 'sue');
    expect(guarded.stdout).toContain('REFUSED #7 dual-lane in gates_running, by sue: needs 1 approval by supervisor');
    expect(labels(7)).toEqual([L.gates]);

    // Removing the state's own label by hand: restored.
    const removed = await removeLabel(7, L.gates, 'mallory');
    expect(removed.stdout).toContain('REFUSED #7 dual-lane in gates_running, by mallory');
    expect(labels(7)).toEqual([L.gates]);

    // DriftGuard's own comments are never read as commands, whatever they say.
    await review(7, 'sue', 'approved');
    await checkCompleted(7, 'gates', 'success');
    await checkCompleted(7, 'ai-review', 'success', { summary: 'verdict: PASS\nconfidence: 99%' });
    const echoed = await comment(7, server.botLogin, '/verify PASS', 'Bot');
    expect(echoed.stdout).toContain('note: not a new comment by a person');
    expect(labels(7)).toEqual([L.gates]);

    // With the guards met, the supervisor's label moves it.
    const moved = await addLabel(7, L.ready, 'sue');
    expect(moved.stdout).toContain('TRANSITION #7 dual-lane: gates_running -> ready_to_merge by sue');
    expect(labels(7)).toEqual([L.ready]);
    expect(replies(7)).toHaveLength(1);
    expect(server.comments.filter((c) => c.issue === 7 && c.user.login === server.botLogin && c.body.startsWith('<!-- driftguard:'))).toHaveLength(2);
  });

  it('is incomplete (exit 3) when GitHub refuses a write, saying so without a stack trace', async () => {
    server.failures.push({ method: 'POST', path: /\/issues\/7\/labels$/, status: 403, message: 'Resource not accessible by integration' });
    const refused = await open(7, 'wip', 3);
    expect(refused.stderr).toContain('driftguard: the lifecycle could not be applied: GitHub:');
    expect(refused.stderr).toContain('Resource not accessible by integration');
    expect(refused.stderr).not.toContain('internal error');
    expect(labels(7)).toEqual([]);
  });

  it('changes nothing on GitHub in a dry run, and lists what it would have written in the audit artifact', async () => {
    heads.set(7, firstHead);
    server.pulls.set(7, { number: 7, state: 'open', user: { login: 'erin' }, head: { sha: firstHead, ref: 'lane-7' }, base: { sha: base, ref: 'main' }, files: ['src/a.ts'] });
    server.pushed(firstHead, { pr: 7 });
    server.commits.get(firstHead)!.message = 'Apply the patch [BUILD-READY:4f2a9c1e]';
    const dry = await lifecycle('pull_request', pullPayload('opened', 7, 'erin'), 0, ['--dry-run']);
    expect(dry.stdout).toContain('TRANSITION #7 dual-lane: building -> enforcing by erin');
    expect(dry.stdout).toMatch(/dry run: \d+ write\(s\) to GitHub not made/);
    expect(server.writes()).toEqual([]);
    const [audit] = audits();
    expect(audit).toMatchObject({ dryRun: true, transitions: [expect.objectContaining({ from: 'building', to: 'enforcing', by: 'erin' })] });
    expect(audit.writes).toContainEqual(expect.objectContaining({ method: 'POST', path: '/repos/Codertocat/Hello-World/issues/7/labels', body: { labels: [L.enforcing] }, done: false }));
  });
});
