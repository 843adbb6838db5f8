import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
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
  server.pushed(head, { pr: 2 });
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

const check = (env: Record<string, string> = {}) => runInActions(server, repo.dir, 'pull_request', prPayload('synchronize', { number: 2, base, head, author: 'author' }), [], env);
async function comment(login: string, body: string, options: { type?: string; onPullRequest?: boolean; issue?: number; edit?: boolean } = {}, env: Record<string, string> = {}) {
  const stored = server.addComment(options.issue ?? 2, login, body, options.type ?? 'User');
  if (options.edit) stored.updated_at = server.now();
  return runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, options.issue ?? 2, { onPullRequest: options.onPullRequest }), [], env);
}
const replies = () => server.comments.filter((c) => c.user.login === server.botLogin && c.body.startsWith('<!-- driftguard:override-reply'));
/** A comment body as a reader sees it rendered: Markdown escapes and zero-width spaces gone. */
const shown = (body: string) => body.replace(/&#8203;/g, '').replace(/\*\*/g, '').replace(/\\(.)/g, '$1');

describe('/driftguard override', () => {
  it('is granted to a maintainer, marks the failing check overridden, and holds for re-runs on that SHA', async () => {
    expect((await check()).code).toBe(1);
    expect(server.checkRuns.at(-1)!.conclusion).toBe('failure');

    const granted = await comment('maintainer', '/driftguard override docs follow in #12 @everyone');
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain('GRANTED override: override granted by maintainer');
    expect(server.checkRuns[0]).toMatchObject({ conclusion: 'neutral', output: expect.objectContaining({ title: 'Overridden by maintainer' }) });
    const [reply] = replies();
    expect(reply!.body).not.toContain(head);
    // The reason is shown as typed, and pings no one.
    expect(reply!.body).toContain('docs follow in #&#8203;12 @&#8203;everyone');
    expect(shown(reply!.body)).toContain(`Override granted by @maintainer for ${head.slice(0, 12)}: docs follow in #12 @everyone`);

    // A re-run of the check on the same commit rebuilds the override from GitHub and passes.
    const rerun = await check();
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('OVERRIDDEN doc_sync');
    expect(rerun.stdout).toContain('doc_sync overridden by @maintainer: docs follow in #12 @everyone');

    // Nothing DriftGuard wrote is needed to rebuild it: with every bot comment gone, it still holds.
    server.comments.splice(0, server.comments.length, ...server.comments.filter((c) => c.user.login !== server.botLogin));
    expect((await check()).code).toBe(0);
    expect(server.checkRuns.at(-1)).toMatchObject({ name: 'driftguard/doc-sync', conclusion: 'neutral' });
  });

  it('is voided by a later push', async () => {
    await check();
    await comment('maintainer', '/driftguard override shipping a hotfix');
    repo.write({ 'src/b.ts': 'export const b = 1;\n' });
    head = repo.commit('another push');
    server.pushed(head, { pr: 2 });
    const run = await check();
    expect(run.code).toBe(1);
    expect(server.checkRuns.at(-1)).toMatchObject({ head_sha: head, conclusion: 'failure' });
  });

  it('is granted to a member of a listed team whatever their permission', async () => {
    await check();
    const run = await comment('captain', '/driftguard override release window');
    expect(run.stdout).toContain('override granted by captain');
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
      ['a non-collaborator', 'stranger', '/driftguard override trust me', {}, /stranger has none permission; overrides need write or membership of acme\/release-captains/],
      ['a read-only collaborator', 'reader', '/driftguard override trust me', {}, /reader has read permission/],
      ['a triager', 'triager', '/driftguard override trust me', {}, /triager has triage permission/],
      ['the PR author', 'author', '/driftguard override my own PR', {}, /the author of a pull request cannot override its checks/],
      ['a command that does not start the comment', 'maintainer', 'LGTM. /driftguard override fine', {}, /the command must start the comment/],
      ['a command inside a quote block', 'maintainer', '> /driftguard override fine\nquoting the bot', {}, /the command must start the comment/],
      ['a command with no reason', 'maintainer', '/driftguard override   ', {}, /a reason is required/],
      ['a reason of invisible characters only', 'maintainer', '/driftguard override \u200B\u200C\u200D\u2060\uFEFF\u202E', {}, /a reason is required/],
      ['a reason of blank-looking letters only', 'maintainer', '/driftguard override \u3164 \u2800\u2800 \u115F', {}, /a reason is required/],
      ['an edited comment', 'maintainer', '/driftguard override edited later', { edit: true }, /the comment was edited after it was posted/],
      ['a comment on an issue, not a PR', 'maintainer', '/driftguard override on an issue', { onPullRequest: false, issue: 7 }, /overrides are only accepted on pull requests/],
    ])('%s', async (_, login, body, options, rule) => {
      await check();
      const before = server.checkRuns.map((c) => c.conclusion);
      const run = await comment(login, body, options);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/REFUSED override: override refused: .*(the pull request's checks are unchanged|nothing to change)/);
      expect(run.stdout).not.toMatch(/PASS\s+override/);
      expect(server.checkRuns.map((c) => c.conclusion)).toEqual(before);
      const answer = replies();
      expect(answer).toHaveLength(1);
      expect(shown(answer[0]!.body)).toMatch(rule);
      expect(shown(answer[0]!.body)).toContain('Nothing was overridden');
      expect((await check()).code).toBe(1);
    });

    it('a bot comment is ignored without a reply', async () => {
      await check();
      const run = await comment('renovate[bot]', '/driftguard override automated', { type: 'Bot' });
      expect(run.stdout).toContain('ignored: comment by a bot');
      expect(replies()).toHaveLength(0);
    });

    it('an override on an outdated SHA: the comment predates the push of the current head', async () => {
      await check();
      const stale = server.addComment(2, 'maintainer', '/driftguard override looked fine at the time');
      repo.write({ 'src/c.ts': 'export const c = process.env.SNEAKY_VAR;\n' });
      head = repo.commit('sneaky push');
      server.pushed(head, { pr: 2 });
      await check();
      const run = await runInActions(server, repo.dir, 'issue_comment', commentPayload(stale, 2));
      expect(run.stdout).toContain('override refused');
      expect(shown(replies()[0]!.body)).toMatch(/the comment predates the latest push of the head commit \(its newest check suite\) \(.*\) on the head commit [0-9a-f]{12}/);
      expect(server.checkRuns.at(-1)).toMatchObject({ head_sha: head, conclusion: 'failure' });
    });

    it('a PR that edits the policy or a workflow', async () => {
      server.pulls.get(2)!.files.push('.github/workflows/driftguard.yml');
      await check();
      const run = await comment('admin-person', '/driftguard override I am admin');
      expect(run.stdout).toContain('override refused');
      expect(shown(replies()[0]!.body)).toMatch(/the pull request changes \.github\/workflows\/driftguard\.yml; changes to the policy or workflows cannot be overridden/);
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

    it('a grant marker in text the bot wrote (echoed from a PR) is never read as a grant', async () => {
      // A maintainer's real override on an earlier head, then a push: the override is void...
      await check();
      const old = server.addComment(2, 'maintainer', '/driftguard override fine at the time');
      repo.write({ 'src/d.ts': 'export const d = process.env.LATER_VAR;\n' });
      head = repo.commit('later push');
      server.pushed(head, { pr: 2 });
      // ...and a bot comment carrying every marker format DriftGuard ever wrote for the new head.
      for (const forged of [
        `<!-- driftguard:override sha=${head} comment=${old.id} updated=${old.updated_at} -->`,
        `Undocumented: src/<!-- driftguard:override sha=${head} comment=${old.id} updated=${old.updated_at} -->/x.js`,
        `<!-- driftguard:override-reply comment=${old.id} -->\nOverride granted`,
      ]) server.addComment(2, server.botLogin, forged, 'Bot');
      expect((await check()).code).toBe(1);
      expect(server.checkRuns.at(-1)).toMatchObject({ head_sha: head, conclusion: 'failure' });
    });

    it('a path that carries the grant marker is written inert everywhere', async () => {
      const marker = `<!-- driftguard:override sha=${head} comment=1 updated=x -->`;
      repo.write({ [`src/${marker}/x.ts`]: 'export const x = process.env.MARKED_VAR;\n' });
      head = repo.commit('hostile path');
      server.pushed(head, { pr: 2 });
      const run = await check();
      expect(run.code).toBe(1);
      const sticky = server.comments.find((c) => c.user.login === server.botLogin && c.body.startsWith('<!-- driftguard:report -->'))!;
      // Rendered as GitHub does (raw HTML allowed): only DriftGuard's own two marker lines are HTML
      // comments; the path is text inside a code element.
      const html = (md: string) => micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
      expect(html(sticky.body).match(/<!--/g)).toHaveLength(2);
      expect(html(sticky.body)).toContain(`<code>src/${marker.replace(/</g, '&lt;').replace(/>/g, '&gt;')}/x.ts:1</code>`);
      expect(html(server.checkRuns.at(-1)!.output.summary!)).not.toContain('<!--');
      expect(html(run.summary)).not.toContain('<!--');
      expect(run.stdout).toContain(`src/${marker}/x.ts`); // plain text on the terminal, one line
    });

    it('a commit dated before the comment does not carry an override over to a new push', async () => {
      await check();
      await comment('maintainer', '/driftguard override fine for this commit');
      repo.write({ 'src/e.ts': 'export const e = process.env.BACKDATED_VAR;\n' });
      head = repo.commit('backdated push');
      server.pushed(head, { pr: 2, committedAt: '2020-01-01T00:00:00Z' });
      expect((await check()).code).toBe(1);
    });

    it('a force push back to an older commit voids an override given after it was first pushed', async () => {
      const first = head;
      repo.write({ 'src/f.ts': 'export const f = 1;\n' });
      const second = repo.commit('second');
      server.pushed(second, { pr: 2 });
      await check();
      // Granted on the second head; then the branch is force-pushed back to the first.
      await comment('maintainer', '/driftguard override second head is fine');
      server.pushed(first, { pr: 2, force: true });
      head = first;
      expect((await check()).code).toBe(1);
    });

    it('a commit pushed again after the comment is not covered, even when it was pushed before it', async () => {
      // X is pushed, the branch is forced back to the reviewed head A, the maintainer overrides A,
      // then X comes back as a plain push.
      const reviewed = head;
      repo.write({ 'src/x.ts': 'export const x = process.env.EVIL_SECRET_VAR;\n' });
      const x = repo.commit('x');
      server.pushed(x, { pr: 2 });
      server.pushed(reviewed, { pr: 2, force: true });
      await check();
      expect((await comment('maintainer', '/driftguard override reviewed A')).stdout).toContain('GRANTED');
      server.pushed(x, { pr: 2 });
      head = x;
      const run = await check();
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/"why":"the comment predates the latest push of the head commit/);
    });

    it('a look-alike command is judged the same by the comment job and by the next check', async () => {
      await check();
      const run = await comment('maintainer', '\uFF0Fdrift\u200Bguard override fullwidth slash');
      expect(run.stdout).toContain('GRANTED override');
      expect((await check()).code).toBe(0);
    });

    it('a pull request with more files than GitHub lists cannot be overridden', async () => {
      await check();
      server.pulls.get(2)!.changed_files = 3500;
      await comment('maintainer', '/driftguard override trust me');
      expect(shown(replies()[0]!.body)).toMatch(/the pull request's files cannot all be read, so a change to the policy or workflows cannot be ruled out \(GitHub lists 1 of the 3500 files/);
    });

    it('a custom repository role counts by the base permission it inherits', async () => {
      await check();
      server.permissions.set('release-manager', 'release-manager:write');
      expect((await comment('release-manager', '/driftguard override release window')).stdout).toContain('GRANTED override');
    });

    it('a head with no check suite on GitHub cannot be proven older than the comment', async () => {
      await check();
      server.commits.delete(head);
      const run = await comment('maintainer', '/driftguard override no suite');
      expect(shown(replies()[0]!.body)).toMatch(/GitHub lists no check suite for the head commit [0-9a-f]{12}, so when it was pushed cannot be proven/);
      expect(run.code).toBe(0);
    });

    it('a permission lookup that times out refuses the override, says so, and leaves an audit record', async () => {
      await check();
      server.failures.push({ method: 'GET', path: /\/collaborators\/maintainer\/permission$/, status: 0 });
      const started = Date.now();
      const run = await comment('maintainer', '/driftguard override hanging', {}, { DRIFTGUARD_GITHUB_TIMEOUT: '1s' });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.stdout).toMatch(/REFUSED override: override refused: the permission lookup for maintainer timed out \(ETIMEDOUT: GitHub did not answer GET \/repos\/.*\/collaborators\/maintainer\/permission within 1s\)/);
      expect(shown(replies()[0]!.body)).toContain('timed out');
      const { readdirSync } = await import('node:fs');
      expect(readdirSync(`${repo.dir}/audit`).filter((f) => f.startsWith('driftguard-pr_comment-'))).toHaveLength(1);
      // The PR check cannot rebuild the override either: still blocked, and it says why.
      const blocked = await check({ DRIFTGUARD_GITHUB_TIMEOUT: '1s' });
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(/"why":"the permission lookup for maintainer timed out.*"msg":"override comment not applied"/);
    });

    it('the same comment is answered once', async () => {
      await check();
      const stored = server.addComment(2, 'reader', '/driftguard override again');
      await runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, 2));
      await runInActions(server, repo.dir, 'issue_comment', commentPayload(stored, 2));
      expect(replies()).toHaveLength(1);
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
