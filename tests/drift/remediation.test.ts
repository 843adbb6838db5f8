import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rendered } from '../helpers/markdown.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateMetadata } from '../../modules/remediation/metadata.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { prPayload, runInActions } from '../helpers/github-run.ts';

const BODY = (extra = '') => `Fixes the security group drift.

<!-- DriftGuard remediation metadata -->
- Drift Issue: #100
- Drift Type: infra
- Change Request ID: CHG-2041
- Environment: prod
- Cloud Provider: aws
${extra}`;

describe('remediation metadata', () => {
  it('reads every field', () => {
    expect(validateMetadata(BODY('- Jira Key: OPS-42'), { jira: true })).toEqual({
      problems: [],
      metadata: { driftIssue: 100, driftType: 'infra', changeRequest: 'CHG-2041', environment: 'prod', provider: 'aws', jiraKey: 'OPS-42' },
    });
  });

  it.each([
    [BODY().replace('- Change Request ID: CHG-2041\n', ''), {}, 'Change Request ID is missing (e.g. CHG-1234)'],
    [BODY().replace('CHG-2041', 'change 2041'), {}, 'Change Request ID "change 2041" is malformed (e.g. CHG-1234)'],
    [BODY().replace('Drift Type: infra', 'Drift Type: workload'), {}, 'ArgoCD App is missing (required for workload drift)'],
    [BODY(), { jira: true }, 'Jira Key is missing (required while Jira is enabled, e.g. OPS-42)'],
    [BODY().replace('Cloud Provider: aws', 'Cloud Provider: oracle'), {}, 'Cloud Provider "oracle" is malformed (aws, azure or gcp)'],
    [BODY(), { environments: ['dev', 'qa'] }, 'Environment "prod" is not one of dev, qa'],
  ])('names the exact field that is wrong (%#)', (body, options, message) => {
    expect(validateMetadata(body, { jira: false, ...options }).problems.map((p) => p.message)).toEqual([message]);
  });

  it('Jira Key is optional while Jira is disabled', () => {
    expect(validateMetadata(BODY(), { jira: false }).problems).toEqual([]);
  });
});

describe('remediation pull requests on GitHub', () => {
  let github: GitHubServer;
  let argo: Server;
  let argoUrl = '';
  let argoSync = 'Synced';
  let repo: TestRepo;
  let base: string;
  let head: string;
  let stacks: string;

  beforeEach(async () => {
    github = await new GitHubServer().start();
    argo = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer argo-token-123456') return res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ metadata: { name: 'payments', namespace: 'argocd' }, spec: { project: 'default' }, status: { sync: { status: argoSync }, health: { status: 'Healthy' } } }));
    });
    await new Promise<void>((r) => argo.listen(0, '127.0.0.1', r));
    argoUrl = `http://127.0.0.1:${(argo.address() as AddressInfo).port}`;
    stacks = mkdtempSync(join(tmpdir(), 'dg-stacks-'));
    const dir = join(stacks, 'web');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf'), 'terraform {\n  backend "local" {}\n}\n\nresource "terraform_data" "sg" {\n  input = "v1"\n}\n');
    execFileSync('terraform', ['init', '-input=false'], { cwd: dir, stdio: 'ignore', env: { ...process.env, TF_CLI_CONFIG_FILE: '' } });
    execFileSync('terraform', ['apply', '-auto-approve', '-input=false'], { cwd: dir, stdio: 'ignore', env: { ...process.env, TF_CLI_CONFIG_FILE: '' } });
    const policy = `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  pr_synchronize: [remediation]
  pr_closed: [remediation]
modules:
  remediation: { min_approvals: 1 }
  drift:
    stacks:
      - { name: web, dir: "${dir}", environment: prod, region: eu-west-1 }
`;
    ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# infra\n', 'policy.yaml': policy }, { 'main.tf': '# fix\n' }));
    github.issues.set(100, { number: 100, title: 'Drift: web (prod, eu-west-1)', body: 'x', state: 'open', labels: ['drift', 'drift:infra', 'prod'] });
    github.pulls.set(9, { number: 9, state: 'open', user: { login: 'dev' }, head: { sha: head, ref: 'fix' }, base: { sha: base, ref: 'main' }, files: ['main.tf'], body: BODY() });
    github.permissions.set('lead', 'write');
  });
  afterEach(async () => {
    await github.stop();
    await new Promise<void>((r) => argo.close(() => r()));
    repo.remove();
  });

  const sync = () => runInActions(github, repo.dir, 'pull_request', prPayload('synchronize', { number: 9, base, head, author: 'dev' }));
  const check = () => github.checkRuns.filter((c) => c.name === 'driftguard/remediation').at(-1)!;

  it('fails the driftguard/remediation check until the current head has an approval', async () => {
    github.reviews.set(9, [{ user: { login: 'lead' }, state: 'APPROVED', commit_id: 'f'.repeat(40) }, { user: { login: 'dev' }, state: 'APPROVED', commit_id: head }]);
    expect((await sync()).code).toBe(1);
    expect(check()).toMatchObject({ conclusion: 'failure' });
    expect(rendered(check().output.summary!)).toContain(`needs 1 approving review(s) on the current head ${head.slice(0, 12)} from reviewers with write permission, has 0`);
    github.reviews.get(9)!.push({ user: { login: 'lead' }, state: 'APPROVED', commit_id: head });
    expect((await sync()).code).toBe(0);
    expect(check()).toMatchObject({ conclusion: 'success' });
  });

  it('names the missing field in the check', async () => {
    github.pulls.get(9)!.body = BODY().replace('- Environment: prod\n', '');
    github.reviews.set(9, [{ user: { login: 'lead' }, state: 'APPROVED', commit_id: head }]);
    expect((await sync()).code).toBe(1);
    expect(rendered(check().output.summary!)).toContain('Environment: Environment is missing (e.g. prod)');
  });

  it('counts approvals only from reviewers with write permission, never the author or a bot, and says who was left out', async () => {
    github.permissions.set('reader', 'read');
    github.permissions.set('triager', 'triage');
    github.permissions.set('dev', 'admin');
    github.reviews.set(9, [
      { user: { login: 'reader' }, state: 'APPROVED', commit_id: head },
      { user: { login: 'triager' }, state: 'APPROVED', commit_id: head },
      { user: { login: 'stranger' }, state: 'APPROVED', commit_id: head },
      { user: { login: 'renovate[bot]', type: 'Bot' }, state: 'APPROVED', commit_id: head },
      { user: { login: 'dev' }, state: 'APPROVED', commit_id: head },
    ]);
    expect((await sync()).code).toBe(1);
    const text = rendered(check().output.summary!);
    expect(text).toContain('has 0; not counted: reader (read permission, below write), triager (triage permission, below write), stranger (none permission, below write), renovate[bot] (a bot), dev (the author of the pull request)');
    github.reviews.get(9)!.push({ user: { login: 'lead' }, state: 'APPROVED', commit_id: head });
    expect((await sync()).code).toBe(0);
  });

  it('on merge: verifies with a refresh-only plan, writes the drift audit record and closes the drift issue', async () => {
    Object.assign(github.pulls.get(9)!, { state: 'closed', merged: true, merge_commit_sha: 'a'.repeat(40) });
    const payload = prPayload('closed', { number: 9, base, head, author: 'dev' });
    payload.pull_request.merged = true;
    const run = await runInActions(github, repo.dir, 'pull_request', payload);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('verification clean (refresh-only plan clean for web)');
    const record = JSON.parse(readFileSync(join(repo.dir, 'audit', 'drift-audit-pr-9.json'), 'utf8'));
    expect(record).toMatchObject({ pullRequest: 9, driftIssue: 100, changeRequest: 'CHG-2041', environment: 'prod', provider: 'aws', mergeCommit: 'a'.repeat(40), verification: { clean: true } });
    expect(github.issues.get(100)!.state).toBe('closed');
  });

  it('workload drift is verified through Argo CD; an app still OutOfSync keeps the issue open', async () => {
    github.pulls.get(9)!.body = BODY('- ArgoCD App: payments').replace('Drift Type: infra', 'Drift Type: workload');
    Object.assign(github.pulls.get(9)!, { state: 'closed', merged: true, merge_commit_sha: 'b'.repeat(40) });
    const payload = prPayload('closed', { number: 9, base, head, author: 'dev' });
    payload.pull_request.merged = true;
    argoSync = 'OutOfSync';
    const env = { ARGOCD_SERVER: argoUrl, ARGOCD_AUTH_TOKEN: 'argo-token-123456' };
    const dirty = await runInActions(github, repo.dir, 'pull_request', payload, [], env);
    expect(dirty.code).toBe(1);
    expect(dirty.stdout).toContain('Argo CD payments: OutOfSync, Healthy');
    expect(github.issues.get(100)!.state).toBe('open');
    expect(existsSync(join(repo.dir, 'audit', 'drift-audit-pr-9.json'))).toBe(true);
    argoSync = 'Synced';
    expect((await runInActions(github, repo.dir, 'pull_request', payload, [], env)).code).toBe(0);
    expect(github.issues.get(100)!.state).toBe('closed');
    expect(dirty.stdout + dirty.stderr).not.toContain('argo-token-123456');
  });
});
