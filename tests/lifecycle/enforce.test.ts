import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../modules/registry.ts';
import { createDeps } from '../../src/deps.ts';
import { createActionsApi } from '../../src/github/actions-api.ts';
import { createGitHubApi } from '../../src/github/api.ts';
import { intake } from '../../src/intake.ts';
import { enforceLifecycles } from '../../src/lifecycle/enforce.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { commentPayload } from '../helpers/github-run.ts';

const POLICY = `version: 1
lifecycles:
  release:
    initial: waiting
    roles:
      maintainers: { permission: maintain }
    states:
      waiting:
        label: waiting
        transitions:
          - { on: command, command: /ship, reason: true, to: shipped, roles: [maintainers], why: shipped by a maintainer }
      shipped:
        label: shipped
        mergeable: true
        transitions:
          - { on: merged, to: done }
      done:
        label: done
        final: true
`;

const HEAD = 'a'.repeat(40);
let server: GitHubServer;

beforeEach(async () => {
  server = await new GitHubServer().start();
  server.pulls.set(3, { number: 3, state: 'open', user: { login: 'author' }, head: { sha: HEAD, ref: 'feature' }, base: { sha: 'b'.repeat(40), ref: 'main' }, files: [] });
  server.permissions.set('writer', 'write');
  server.permissions.set('maint', 'maintain');
});
afterEach(() => server.stop());

/** One issue_comment event applied in process, against the loopback GitHub. */
async function commented(login: string, body: string) {
  const policy = await parsePolicy('policy.yaml', POLICY, REGISTRY);
  const env = { GITHUB_TOKEN: server.token };
  const deps = createDeps({ env, endpoints: { github: server.url }, logLevel: 'silent' });
  const event = await intake({ event: 'pr_comment', payload: commentPayload(server.addComment(3, login, body), 3), source: 'github', git: deps.git, env });
  const api = await createGitHubApi(deps, event.repo!);
  const actions = createActionsApi(deps, event.repo!);
  return enforceLifecycles({
    policy,
    event,
    api,
    pull: async (n) => {
      const refs = await actions.getPullRefs(n);
      return refs && { number: refs.number, state: refs.state, author: refs.author, headSha: refs.headSha, baseRef: refs.baseRef };
    },
    now: new Date('2026-11-20T12:00:00Z'),
    dryRun: false,
    log: deps.log,
  });
}

describe('lifecycle roles by repository permission, and hostile text', () => {
  it('looks the role up through the collaborators permission API: write is not maintain, maintain is', async () => {
    const refused = await commented('writer', '/ship release notes are ready');
    expect(refused.transitions).toEqual([]);
    expect(refused.refusals).toEqual([expect.objectContaining({ by: 'writer', state: 'waiting', rule: 'only maintainers may do this (/ship with a reason)' })]);
    expect(server.labels.get(3)).toEqual(['waiting']);
    expect(server.requests.some((r) => r.path.endsWith('/collaborators/writer/permission'))).toBe(true);

    const shipped = await commented('maint', '/ship release notes are ready');
    expect(shipped.transitions).toEqual([expect.objectContaining({ from: 'waiting', to: 'shipped', by: 'maint', reason: 'release notes are ready', why: 'shipped by a maintainer', at: '2026-11-20T12:00:00.000Z' })]);
    expect(server.labels.get(3)).toEqual(['shipped']);
    expect(server.checkRuns.at(-1)).toMatchObject({ name: 'driftguard/lifecycle', head_sha: HEAD, conclusion: 'success' });
  });

  it('renders the reason and logins inert in the status comment, and never takes a person\'s comment for its own', async () => {
    // A person's comment that starts with DriftGuard's marker is not DriftGuard's status comment.
    server.addComment(3, 'maint', '<!-- driftguard:lifecycle release -->\nfake status');
    await commented('maint', '/ship <img src=x onerror=alert(1)> [link](https://evil.test) @acme/everyone #1\n\nsecond line');
    const mine = server.comments.filter((c) => c.user.login === server.botLogin);
    expect(mine).toHaveLength(1);
    const body = mine[0]!.body;
    expect(body.startsWith('<!-- driftguard:lifecycle release -->\n')).toBe(true);
    expect(body).not.toMatch(/(^|[^\\])<img|\]\(https|@acme\/everyone|second line/);
    expect(body).toContain('\\<img src\\=x onerror\\=alert\\(1\\)\\>');
    expect(body).toContain('@&#8203;acme\\/everyone');
    expect(server.comments.find((c) => c.user.login === 'maint' && c.body.includes('fake status'))!.body).toBe('<!-- driftguard:lifecycle release -->\nfake status');
  });
});
