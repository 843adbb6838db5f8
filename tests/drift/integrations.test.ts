import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubServer } from '../helpers/github-server.ts';
import { runInActions } from '../helpers/github-run.ts';

/**
 * Argo CD, Jira and a Slack-compatible webhook on one loopback stand-in, answering in the shapes
 * their documentation gives: Argo CD's ApplicationList (`items`, each with metadata.name and
 * metadata.namespace, spec.project, status.sync.status, status.health.status, status.conditions),
 * Jira's create answer (`{ id, key }`) and transitions list (`{ transitions: [{ id, name, to }] }`),
 * Slack's `ok`. Each test can change what one of them says.
 */
interface App {
  metadata: { name: string; namespace: string };
  spec: { project: string };
  status: { sync: { status: string }; health: { status: string }; conditions?: Array<{ type: string; message: string }> };
}
const app = (namespace: string, name: string, sync: string, extra: Partial<App['status']> = {}): App => ({ metadata: { name, namespace }, spec: { project: namespace }, status: { sync: { status: sync }, health: { status: 'Healthy' }, ...extra } });

let root: string;
let github: GitHubServer;
let side: Server;
let url = '';
let apps: App[] = [];
let jiraCreate: () => [number, unknown];
let jiraTransitions: () => [number, unknown];
let hookAnswer: () => [number, string];
const jira: Array<{ method: string; path: string; body: string }> = [];
const hooks: string[] = [];

const DEFAULT_TRANSITIONS = { expand: 'transitions', transitions: [{ id: '11', name: 'Start work', to: { id: '3', name: 'In Progress' } }, { id: '31', name: 'Done', to: { id: '10002', name: 'In Review' } }, { id: '41', name: 'Resolve', to: { id: '10001', name: 'Done' } }] };

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'dg-integrations-'));
  github = await new GitHubServer().start();
  apps = [];
  jiraCreate = () => [201, { id: '10001', key: 'OPS-7', self: 'https://jira.test/rest/api/2/issue/10001' }];
  jiraTransitions = () => [200, DEFAULT_TRANSITIONS];
  hookAnswer = () => [200, 'ok'];
  side = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/api/v1/applications') return req.headers.authorization === 'Bearer argo-token-1' ? json(200, { metadata: { resourceVersion: '1' }, items: apps }) : json(401, {});
      if (req.url === '/hook') {
        hooks.push(raw);
        const [status, text] = hookAnswer();
        return res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
      }
      if (req.url?.startsWith('/rest/api/2/')) {
        jira.push({ method: req.method!, path: req.url, body: raw });
        if (req.method === 'POST' && req.url === '/rest/api/2/issue') return json(...jiraCreate());
        if (req.method === 'GET' && req.url.endsWith('/transitions')) return json(...jiraTransitions());
        if (req.method === 'POST' && req.url.endsWith('/transitions')) return res.writeHead(204).end();
      }
      json(404, {});
    });
  });
  await new Promise<void>((r) => side.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await github.stop();
  await new Promise<void>((r) => side.close(() => r()));
  jira.length = 0;
  hooks.length = 0;
  rmSync(root, { recursive: true, force: true });
});

const policy = (extra = '') => writeFileSync(join(root, 'policy.yaml'), `version: 1\ndry_run: false\naudit: { dir: audit }\nworkflows:\n  schedule: [drift]\nmodules:\n  drift:\n    argocd: { enabled: true }\n${extra}`);
const env = (more: Record<string, string> = {}) => ({ ARGOCD_SERVER: url, ARGOCD_AUTH_TOKEN: 'argo-token-1', JIRA_BASE_URL: url, JIRA_EMAIL: 'bot@acme.test', JIRA_API_TOKEN: 'jira-token-1', ...more });
const REPO = { full_name: 'acme/infra', name: 'infra', owner: { login: 'acme' } };
const schedule = (more: Record<string, string> = {}) => runInActions(github, root, 'schedule', { schedule: '0 */6 * * *', repository: REPO }, [], env(more));
const issueTitled = (title: string) => [...github.issues.values()].find((i) => i.title === title);
const lastAudit = () => {
  const files = readdirSync(join(root, 'audit'))
    .filter((n) => n.startsWith('driftguard-schedule-'))
    .sort((a, b) => statSync(join(root, 'audit', a)).mtimeMs - statSync(join(root, 'audit', b)).mtimeMs);
  return JSON.parse(readFileSync(join(root, 'audit', files.at(-1)!), 'utf8')) as { steps: Array<{ outcome: { findings: Array<{ message: string; severity: string }>; actions: Array<{ kind: string; target: string; status: string; detail?: string }>; decisions: Array<{ subject: string; decision: string }> } }> };
};

describe('Argo CD applications are namespace/name', () => {
  it('team-a/web OutOfSync and team-b/web Synced: the second run keeps team-a/web\'s issue open', async () => {
    policy();
    apps = [app('team-a', 'web', 'OutOfSync'), app('team-b', 'web', 'Synced')];
    const first = await schedule();
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const issue = issueTitled('Workload drift: team-a/web');
    expect(issue?.state).toBe('open');
    expect(issue!.body).toContain('project `team-a`');

    const second = await schedule();
    expect(second.code, second.stdout).toBe(1);
    expect(issue!.state).toBe('open');
    expect([...github.issues.values()].filter((i) => i.state === 'open')).toHaveLength(1);
    expect(github.writes().filter((w) => w.method === 'PATCH' && w.body && (w.body as { state?: string }).state === 'closed')).toEqual([]);
    expect(lastAudit().steps[0]!.outcome.decisions).toEqual(expect.arrayContaining([{ subject: 'workload/team-a/web', decision: 'drift', reason: 'Argo CD sync OutOfSync, health Healthy' }, { subject: 'workload/team-b/web', decision: 'clean', reason: 'Argo CD sync Synced, health Healthy' }]));
  });
});

describe('issues filed before applications had namespaces', () => {
  // The hidden marker an earlier release wrote: the name alone.
  const legacyMarker = (name: string) => `<!-- driftguard:drift ${createHash('sha256').update(`workload/${name}`).digest('hex').slice(0, 16)} -->`;
  const seed = () => github.issues.set(100, { number: 100, title: 'Workload drift: web', body: `${legacyMarker('web')}\nold body`, state: 'open', labels: ['drift', 'workload-drift'] });

  it('are adopted when exactly one application has that name, and closed with it', async () => {
    policy();
    seed();
    apps = [app('team-a', 'web', 'OutOfSync')];
    expect((await schedule()).code).toBe(1);
    expect(github.issues.size).toBe(1);
    expect(github.issues.get(100)!.body).toContain('team-a/web');
    apps = [app('team-a', 'web', 'Synced')];
    expect((await schedule()).code).toBe(0);
    expect(github.issues.get(100)!.state).toBe('closed');
  });

  it('are left alone when two applications share the name', async () => {
    policy();
    seed();
    apps = [app('team-a', 'web', 'OutOfSync'), app('team-b', 'web', 'Synced')];
    expect((await schedule()).code).toBe(1);
    expect(github.issues.get(100)).toMatchObject({ state: 'open', body: `${legacyMarker('web')}\nold body` });
    expect(issueTitled('Workload drift: team-a/web')?.state).toBe('open');
  });
});

describe('a state that cannot be checked is an error, never clean', () => {
  it('an unknown sync status or a comparison error is exit 3, and no issue is closed on that run', async () => {
    policy();
    apps = [app('team-a', 'web', 'OutOfSync'), app('team-a', 'api', 'OutOfSync'), app('team-b', 'db', 'OutOfSync')];
    expect((await schedule()).code).toBe(1);
    expect([...github.issues.values()].filter((i) => i.state === 'open')).toHaveLength(3);

    // web: Argo CD cannot say; api: a stale "Synced" beside a comparison error; db: really clean.
    apps = [
      app('team-a', 'web', 'Unknown'),
      app('team-a', 'api', 'Synced', { conditions: [{ type: 'ComparisonError', message: 'rpc error: repository not accessible' }] }),
      app('team-b', 'db', 'Synced'),
    ];
    const run = await schedule();
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toContain('Argo CD sync status "Unknown": neither Synced nor OutOfSync');
    expect(run.stdout).toContain('Argo CD cannot compare it with Git (ComparisonError: rpc error: repository not accessible)');
    expect(run.stdout).toContain('Argo CD: 0 OutOfSync, 2 could not be checked');
    expect([...github.issues.values()].map((i) => i.state)).toEqual(['open', 'open', 'open']);
    const outcome = lastAudit().steps[0]!.outcome;
    expect(outcome.decisions).toEqual(expect.arrayContaining([expect.objectContaining({ subject: 'workload/team-a/web', decision: 'error' }), expect.objectContaining({ subject: 'workload/team-a/api', decision: 'error' }), expect.objectContaining({ subject: 'workload/team-b/db', decision: 'kept open' })]));

    // A whole clean run closes them.
    apps = apps.map((a) => app(a.metadata.namespace, a.metadata.name, 'Synced'));
    expect((await schedule()).code).toBe(0);
    expect([...github.issues.values()].map((i) => i.state)).toEqual(['closed', 'closed', 'closed']);
  });

  it('an Argo CD application without its identity (namespace) is an error, never clean', async () => {
    policy();
    apps = [app('team-a', 'web', 'OutOfSync')];
    await schedule();
    const issue = issueTitled('Workload drift: team-a/web')!;
    // An application without its identity (no namespace) cannot be matched to anything.
    apps = [{ metadata: { name: 'web' } } as unknown as App];
    const run = await schedule();
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('answered an application without metadata.name and metadata.namespace');
    expect(issue.state).toBe('open');
  });

  it('a Jira create answer without an issue key is an error: the issue opens without a ticket and the run is incomplete', async () => {
    policy('    jira: { enabled: true, project: OPS }\n');
    apps = [app('team-a', 'web', 'OutOfSync')];
    jiraCreate = () => [200, { errorMessages: [], warningMessages: ['queued'] }];
    const run = await schedule();
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const issue = issueTitled('Workload drift: team-a/web')!;
    expect(issue.body).not.toContain('Jira:');
    expect(run.stdout).toContain('Jira (POST /rest/api/2/issue) answered without an issue key');
    expect(lastAudit().steps[0]!.outcome.actions).toContainEqual(expect.objectContaining({ kind: 'open issue', status: 'failed' }));
  });

  it('a Jira transitions answer of another shape is an error, never "nothing to do"', async () => {
    policy('    jira: { enabled: true, project: OPS }\n');
    apps = [app('team-a', 'web', 'OutOfSync')];
    await schedule();
    apps = [app('team-a', 'web', 'Synced')];
    jiraTransitions = () => [200, { values: [{ id: '41', name: 'Resolve' }] }];
    const run = await schedule();
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toContain('Jira (GET transitions of OPS-7) answered an unexpected shape');
    expect(lastAudit().steps[0]!.outcome.actions).toContainEqual(expect.objectContaining({ kind: 'move Jira ticket', target: 'OPS-7', status: 'failed' }));
  });

  it('a webhook answer of an unexpected shape is an error, and nothing is closed on that run', async () => {
    policy('    webhook_env: DRIFT_WEBHOOK\n');
    apps = [app('team-a', 'web', 'OutOfSync')];
    expect((await schedule({ DRIFT_WEBHOOK: `${url}/hook` })).code).toBe(1);
    const web = issueTitled('Workload drift: team-a/web')!;
    // web is clean now, api newly drifted: the webhook says the post was refused, with HTTP 200.
    apps = [app('team-a', 'web', 'Synced'), app('team-a', 'api', 'OutOfSync')];
    hookAnswer = () => [200, '{"ok":false,"error":"invalid_token"}'];
    const run = await schedule({ DRIFT_WEBHOOK: `${url}/hook` });
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(hooks).toHaveLength(2);
    expect(run.stdout).toContain('the webhook answered an unexpected body: {"ok":false,"error":"invalid_token"}');
    expect(web.state).toBe('open');
    const actions = lastAudit().steps[0]!.outcome.actions;
    expect(actions).toContainEqual(expect.objectContaining({ kind: 'notify', status: 'failed' }));
    expect(actions).toContainEqual(expect.objectContaining({ kind: 'close issue', target: `#${web.number}`, status: 'skipped' }));
  });
});

describe('Jira: move a ticket by where the transition leads', () => {
  it('picks the transition whose target status is done_status (by name), not the one called "Done"', async () => {
    policy('    jira: { enabled: true, project: OPS }\n');
    apps = [app('team-a', 'web', 'OutOfSync')];
    await schedule();
    expect(issueTitled('Workload drift: team-a/web')!.body).toContain('Jira: OPS-7');
    apps = [app('team-a', 'web', 'Synced')];
    const run = await schedule();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(jira.at(-1)).toEqual({ method: 'POST', path: '/rest/api/2/issue/OPS-7/transitions', body: JSON.stringify({ transition: { id: '41' } }) });
  });

  it('done_status may be a status id', async () => {
    policy('    jira: { enabled: true, project: OPS, done_status: "10002" }\n');
    apps = [app('team-a', 'web', 'OutOfSync')];
    await schedule();
    apps = [app('team-a', 'web', 'Synced')];
    expect((await schedule()).code).toBe(0);
    expect(jira.at(-1)).toEqual({ method: 'POST', path: '/rest/api/2/issue/OPS-7/transitions', body: JSON.stringify({ transition: { id: '31' } }) });
  });

  it('when no transition leads there: a warning in the log, the report and the audit record, and no transition made', async () => {
    policy('    jira: { enabled: true, project: OPS, done_status: Closed }\n');
    apps = [app('team-a', 'web', 'OutOfSync')];
    await schedule();
    apps = [app('team-a', 'web', 'Synced')];
    const run = await schedule();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(issueTitled('Workload drift: team-a/web')!.state).toBe('closed');
    expect(jira.filter((j) => j.method === 'POST' && j.path.endsWith('/transitions'))).toEqual([]);
    const warning = 'Jira ticket OPS-7 not moved: no transition leads to status "Closed" (offered: Start work -> In Progress, Done -> In Review, Resolve -> Done)';
    expect(run.stdout).toContain(warning);
    const logged = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged).toContainEqual(expect.objectContaining({ level: 40, msg: warning }));
    const outcome = lastAudit().steps[0]!.outcome;
    expect(outcome.findings).toContainEqual(expect.objectContaining({ message: warning, severity: 'warning' }));
    expect(outcome.actions).toContainEqual(expect.objectContaining({ kind: 'move Jira ticket', target: 'OPS-7', status: 'skipped', detail: warning }));
  });
});

describe('a scheduled workflow', () => {
  it('whose event file holds only `schedule` plans the drift issue in GITHUB_REPOSITORY', async () => {
    policy();
    apps = [app('team-a', 'web', 'OutOfSync')];
    const run = await runInActions(github, root, 'schedule', { schedule: '0 */6 * * *' }, [], env({ GITHUB_REPOSITORY: 'acme/infra' }));
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(issueTitled('Workload drift: team-a/web')?.state).toBe('open');
    expect(github.writes().some((w) => w.method === 'POST' && w.path === '/repos/acme/infra/issues')).toBe(true);
  });

  it('with no repository at all says it files no drift issue, instead of dropping it silently', async () => {
    policy();
    apps = [app('team-a', 'web', 'OutOfSync')];
    const run = await runInActions(github, root, 'schedule', { schedule: '0 */6 * * *' }, [], env());
    expect(run.stdout).toContain('no repository to file drift issues in: the event names none and GITHUB_REPOSITORY is not set');
    expect(github.writes().filter((w) => w.path.endsWith('/issues'))).toEqual([]);
  });
});
