import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { commentPayload, prPayload, runInActions } from '../helpers/github-run.ts';

const POLICY = `version: 1
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
  teams: [acme/release-captains]
`;

let server: GitHubServer;
let repo: TestRepo;
let base: string;
let head: string;

beforeEach(async () => {
  server = await new GitHubServer().start();
  ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# app\n', 'policy.yaml': POLICY }, { 'src/a.ts': 'export const a = process.env.NEW_VAR;\n' }));
  server.pulls.set(2, { number: 2, state: 'open', user: { login: 'author' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: ['src/a.ts'] });
  server.permissions.set('maintainer', 'write');
  server.permissions.set('admin-person', 'admin');
  server.permissions.set('reader', 'read');
  server.permissions.set('triager', 'triage');
  server.permissions.set('author', 'write');
  server.teams.set('acme/release-captains', new Set(['captain']));
});
afterEach(async () => {
  await server.stop();
  repo.remove();
});

const check = () => runInActions(server, repo.dir, 'pull_request', prPayload('synchronize', { number: 2, base, head, author: 'author' }));
async function comment(login: string, body: string, options: { type?: string; onPullRequest?: boolean; issue?: number; edit?: boolean } = {}) {
  const stored = server.addComment(options.issue ?? 2, login, body, options.type ?? 'User');
  if (options.edit) stored.updated_at = server.now();
  return runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, options.issue ?? 2, { onPullRequest: options.onPullRequest }));
}
const replies = () => server.comments.filter((c) => c.user.login === server.botLogin && c.body.includes('driftguard:override'));

describe('/driftguard override', () => {
  it('is granted to a maintainer, marks the failing check overridden, and holds for re-runs on that SHA', async () => {
    expect((await check()).code).toBe(1);
    expect(server.checkRuns.at(-1)!.conclusion).toBe('failure');

    const granted = await comment('maintainer', '/driftguard override docs follow in #12 @everyone');
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain('override granted by @maintainer');
    expect(server.checkRuns[0]).toMatchObject({ conclusion: 'neutral', output: expect.objectContaining({ title: 'Overridden by @maintainer' }) });
    const [reply] = replies();
    expect(reply!.body).toContain(`<!-- driftguard:override sha=${head} comment=`);
    expect(reply!.body).toContain('docs follow in \\#12 @\u200beveryone');

    // A re-run of the check on the same commit rebuilds the override from GitHub and passes.
    const rerun = await check();
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('OVERRIDDEN doc_sync');
    expect(rerun.stdout).toContain('doc_sync overridden by @maintainer: docs follow in #12 @everyone');
    expect(server.checkRuns.at(-1)).toMatchObject({ name: 'driftguard/doc-sync', conclusion: 'neutral' });
  });

  it('is voided by a later push', async () => {
    await check();
    await comment('maintainer', '/driftguard override shipping a hotfix');
    repo.write({ 'src/b.ts': 'export const b = 1;\n' });
    head = repo.commit('another push');
    server.pulls.get(2)!.head.sha = head;
    const run = await check();
    expect(run.code).toBe(1);
    expect(server.checkRuns.at(-1)).toMatchObject({ head_sha: head, conclusion: 'failure' });
  });

  it('is granted to a member of a listed team whatever their permission', async () => {
    await check();
    const run = await comment('captain', '/driftguard override release window');
    expect(run.stdout).toContain('override granted by @captain');
  });

  it('leaves a trail: granted and refused attempts are logged and in the audit artifact', async () => {
    await check();
    const run = await comment('reader', '/driftguard override please');
    const decisions = run.stderr.split('\n').filter((l) => l.includes('"msg":"decision"')).map((l) => JSON.parse(l));
    expect(decisions).toContainEqual(expect.objectContaining({ module: 'override', decision: 'refused', actor: 'reader' }));
    const { readdirSync, readFileSync } = await import('node:fs');
    const audits = readdirSync(`${repo.dir}/audit`).filter((f) => f.startsWith('driftguard-pr_comment-'));
    const audit = JSON.parse(readFileSync(`${repo.dir}/audit/${audits[0]}`, 'utf8'));
    expect(audit.steps[0].outcome.decisions[0]).toMatchObject({ decision: 'refused', reason: expect.stringContaining('read permission') });
  });

  describe('refuses attacks, with one short reply naming the rule', () => {
    it.each([
      ['a non-collaborator', 'stranger', '/driftguard override trust me', {}, /@\u200bstranger has none permission; overrides need write or membership of acme\/release-captains/],
      ['a read-only collaborator', 'reader', '/driftguard override trust me', {}, /@\u200breader has read permission/],
      ['a triager', 'triager', '/driftguard override trust me', {}, /@\u200btriager has triage permission/],
      ['the PR author', 'author', '/driftguard override my own PR', {}, /the author of a pull request cannot override its checks/],
      ['a command that does not start the comment', 'maintainer', 'LGTM. /driftguard override fine', {}, /the command must start the comment/],
      ['a command inside a quote block', 'maintainer', '> /driftguard override fine\nquoting the bot', {}, /the command must start the comment/],
      ['a command with no reason', 'maintainer', '/driftguard override   ', {}, /a reason is required/],
      ['an edited comment', 'maintainer', '/driftguard override edited later', { edit: true }, /the comment was edited after it was posted/],
      ['a comment on an issue, not a PR', 'maintainer', '/driftguard override on an issue', { onPullRequest: false, issue: 7 }, /overrides are only accepted on pull requests/],
    ])('%s', async (_, login, body, options, rule) => {
      await check();
      const before = server.checkRuns.map((c) => c.conclusion);
      const run = await comment(login, body, options);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/override refused/);
      expect(server.checkRuns.map((c) => c.conclusion)).toEqual(before);
      const answer = server.comments.filter((c) => c.user.login === server.botLogin && c.body.includes('override-refused'));
      expect(answer).toHaveLength(1);
      expect(answer[0]!.body).toMatch(rule);
      expect((await check()).code).toBe(1);
    });

    it('a bot comment is ignored without a reply', async () => {
      await check();
      const run = await comment('renovate[bot]', '/driftguard override automated', { type: 'Bot' });
      expect(run.stdout).toContain('ignored: comment by a bot');
      expect(replies()).toHaveLength(0);
    });

    it('an override on an outdated SHA: the comment predates the result on the current head', async () => {
      await check();
      const stale = server.addComment(2, 'maintainer', '/driftguard override looked fine at the time');
      repo.write({ 'src/c.ts': 'export const c = process.env.SNEAKY_VAR;\n' });
      head = repo.commit('sneaky push');
      server.pulls.get(2)!.head.sha = head;
      await check();
      const run = await runInActions(server, repo.dir, 'issue_comment', commentPayload(stale, 2));
      expect(run.stdout).toContain('override refused');
      expect(replies()[0]!.body).toMatch(/the comment predates DriftGuard's result on the head commit/);
      expect(server.checkRuns.at(-1)).toMatchObject({ head_sha: head, conclusion: 'failure' });
    });

    it('a PR that edits the policy or a workflow', async () => {
      server.pulls.get(2)!.files.push('.github/workflows/driftguard.yml');
      await check();
      const run = await comment('admin-person', '/driftguard override I am admin');
      expect(run.stdout).toContain('override refused');
      expect(replies()[0]!.body).toMatch(/the pull request changes \.github\/workflows\/driftguard\.yml; changes to the policy or workflows cannot be overridden/);
    });

    it('an override comment later edited by someone: void on the next run', async () => {
      await check();
      await comment('maintainer', '/driftguard override fine for now');
      const original = server.comments.find((c) => c.body.startsWith('/driftguard override fine'))!;
      original.body = '/driftguard override something else entirely';
      original.updated_at = server.now();
      expect((await check()).code).toBe(1);
    });

    it('a collaborator whose permission was revoked after the grant: void on the next run', async () => {
      await check();
      await comment('maintainer', '/driftguard override fine');
      server.permissions.set('maintainer', 'read');
      expect((await check()).code).toBe(1);
    });

    it('the same comment is answered once', async () => {
      await check();
      const stored = server.addComment(2, 'reader', '/driftguard override again');
      await runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, 2));
      await runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, 2));
      expect(server.comments.filter((c) => c.user.login === server.botLogin && c.body.includes('override-refused'))).toHaveLength(1);
    });
  });

  it('in dry-run plans the writes and sends none', async () => {
    await check();
    const writesBefore = server.writes().length;
    const stored = server.addComment(2, 'maintainer', '/driftguard override dry');
    const run = await runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, 2), ['--dry-run']);
    expect(run.stdout).toContain('would update check run driftguard/doc-sync');
    expect(run.stdout).toContain('would reply');
    expect(server.writes()).toHaveLength(writesBefore);
  });
});
