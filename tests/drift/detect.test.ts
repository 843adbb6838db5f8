import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { runInActions } from '../helpers/github-run.ts';
import { PLAN } from './plan-fixture.ts';

const TF_ENV = { TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: '' };
let root: string;
let holder: ChildProcess | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dg-drift-'));
});
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
  rmSync(root, { recursive: true, force: true });
});

/** A real stack of built-in resources with a local backend, applied. */
function stack(name: string, extra = ''): string {
  const dir = join(root, 'stacks', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf'), `terraform {\n  backend "local" {}\n}\n\nresource "terraform_data" "config" {\n  input = "v1"\n}\n${extra}`);
  execFileSync('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
  execFileSync('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
  return dir;
}

const policy = (stacks: string, extra = '') => `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  schedule: [drift]
modules:
  drift:
    lock_timeout: 1s
    plan_timeout: 60s
${extra}    stacks:
${stacks}`;

describe('drift detection with the real terraform binary', () => {
  it('a stack that matches its state is clean (refresh-only plan, exit code confirmed by the JSON)', async () => {
    stack('network');
    writeFileSync(join(root, 'policy.yaml'), policy('      - { name: network, dir: stacks/network, environment: prod, region: eu-west-1 }\n'));
    const { code, stdout } = await runCli(['run', '--event', 'schedule'], { cwd: root });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('1 stacks checked: 0 drifted, 1 clean');
  });

  it('a held lock, a missing directory or a broken state is an error (exit 3), never drift', async () => {
    const dir = stack('locked', 'variable "hold" {\n  default = 0\n}\n\nresource "terraform_data" "hold" {\n  triggers_replace = [var.hold]\n  provisioner "local-exec" {\n    command = "sleep ${var.hold}"\n  }\n}\n');
    holder = spawn('terraform', ['apply', '-auto-approve', '-input=false', '-no-color', '-var', 'hold=30'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(join(dir, '.terraform.tfstate.lock.info')); i++) await new Promise((r) => setTimeout(r, 100));
    const broken = stack('broken');
    writeFileSync(join(broken, 'terraform.tfstate'), '{ not a state');
    writeFileSync(
      join(root, 'policy.yaml'),
      policy('      - { name: locked, dir: stacks/locked, environment: prod }\n      - { name: gone, dir: stacks/gone, environment: prod }\n      - { name: broken, dir: stacks/broken, environment: dev }\n'),
    );
    const { code, stdout } = await runCli(['run', '--event', 'schedule'], { cwd: root });
    expect(code).toBe(3);
    expect(stdout).toContain('prod/global/locked: terraform plan exited 1: Error acquiring the state lock');
    expect(stdout).toContain(`prod/global/gone: no working directory at ${root}/stacks/gone`);
    expect(stdout).toMatch(/dev\/global\/broken: terraform (plan exited 1|init failed): /);
    expect(stdout).toContain('3 stacks checked: 0 drifted, 0 clean, 3 could not be checked');
  });

  it('a plan that overruns plan_timeout is killed and reported as an error', async () => {
    const dir = stack('slow', 'variable "hold" {\n  default = 0\n}\n\nresource "terraform_data" "hold" {\n  triggers_replace = [var.hold]\n  provisioner "local-exec" {\n    command = "sleep ${var.hold}"\n  }\n}\n');
    holder = spawn('terraform', ['apply', '-auto-approve', '-input=false', '-no-color', '-var', 'hold=30'], { cwd: dir, env: { ...process.env, ...TF_ENV }, stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(join(dir, '.terraform.tfstate.lock.info')); i++) await new Promise((r) => setTimeout(r, 100));
    // Waiting for the lock (lock_timeout 30s) keeps the plan busy past its 2s limit.
    writeFileSync(join(root, 'policy.yaml'), policy('      - { name: slow, dir: stacks/slow, environment: prod }\n').replace('lock_timeout: 1s', 'lock_timeout: 30s').replace('plan_timeout: 60s', 'plan_timeout: 2s'));
    const started = Date.now();
    const { code, stdout } = await runCli(['run', '--event', 'schedule'], { cwd: root });
    expect(code).toBe(3);
    expect(stdout).toContain('prod/global/slow: terraform plan timed out after 2s');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('drift issues and notifications', () => {
  let github: GitHubServer;
  let hook: Server;
  let hookUrl = '';
  const hooks: string[] = [];
  let fixture: string;
  beforeEach(async () => {
    github = await new GitHubServer().start();
    hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        hooks.push(raw);
        res.writeHead(hooks.length === 1 ? 503 : 200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    // Real drift needs a real cloud; here a stand-in binary plays Terraform and prints a plan JSON
    // shaped like `terraform show -json` (the runner itself is tested with the real binary above).
    fixture = join(root, 'plan.json');
    writeFileSync(fixture, JSON.stringify(PLAN));
    const fake = join(root, 'fake-terraform');
    writeFileSync(fake, `#!/usr/bin/env bash\ncase "$1" in\n  init) exit 0 ;;\n  plan) for a in "$@"; do case "$a" in -out=*) : > "\${a#-out=}" ;; esac; done; exit 2 ;;\n  show) cat "${fixture}" ;;\nesac\n`);
    chmodSync(fake, 0o755);
    mkdirSync(join(root, 'stacks', 'web'), { recursive: true });
    writeFileSync(join(root, 'policy.yaml'), policy('      - { name: web, dir: stacks/web, environment: prod, region: eu-west-1 }\n', `    binary: ${fake}\n    webhook_env: DRIFT_WEBHOOK\n    ignore: ["aws_subnet.*"]\n`));
  });
  afterEach(async () => {
    await github.stop();
    await new Promise<void>((r) => hook.close(() => r()));
    hooks.length = 0;
  });

  const schedule = () => runInActions(github, root, 'schedule', { schedule: '0 */6 * * *', repository: { full_name: 'acme/infra', name: 'infra', owner: { login: 'acme' } } }, [], { DRIFT_WEBHOOK: hookUrl });

  it('a document that is not a plan Terraform 0.1 to 1.x wrote is an error (exit 3) naming the problem, never clean', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...PLAN, format_version: '2.0' }, /format_version "2\.0" is not supported/],
      [{ ...PLAN, resource_drift: { address: 'aws_instance.web' } }, /resource_drift: expected a list, got a mapping/],
      [{ format_version: '1.0', terraform_version: '1.11.4', values: { root_module: {} } }, /this is a Terraform state, not a plan/],
      [{ version: 4, serial: 1, lineage: 'x', resources: [] }, /no format_version/],
    ];
    for (const [document, why] of cases) {
      writeFileSync(fixture, JSON.stringify(document));
      const run = await schedule();
      expect(run.code, run.stdout).toBe(3);
      expect(run.stdout).toMatch(why);
    }
  });

  it('opens one issue per drifted stack, updates it in place, and closes it when clean', async () => {
    const first = await schedule();
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('prod/eu-west-1/web: aws_security_group.web: changed outside Terraform: ingress, tags.Owner');
    expect(first.stdout).not.toContain('aws_subnet');
    expect(first.stdout).not.toContain('db-password');
    expect([...github.issues.values()]).toEqual([expect.objectContaining({ title: 'Drift: web (prod, eu-west-1)', state: 'open', labels: ['drift', 'drift:infra', 'prod'] })]);
    expect(hooks).toHaveLength(2);
    expect(JSON.parse(hooks[1]!)).toEqual({ text: 'DriftGuard: new drift in prod/eu-west-1/web' });

    const second = await schedule();
    expect(second.code).toBe(1);
    expect(github.issues.size).toBe(1);
    expect(github.writes().filter((w) => w.method === 'PATCH' && /\/issues\/\d+$/.test(w.path))).toHaveLength(1);
    expect(hooks).toHaveLength(2);

    writeFileSync(fixture, JSON.stringify({ ...PLAN, resource_drift: [] }));
    const clean = await schedule();
    expect(clean.code).toBe(0);
    expect([...github.issues.values()][0]!.state).toBe('closed');
    expect(github.comments.at(-1)!.body).toContain('No drift in prod/eu-west-1/web any more');
    const audit = readFileSync(join(root, 'audit', `driftguard-schedule-${clean.stdout.match(/driftguard-schedule-(\S+)\.json/)![1]}.json`), 'utf8');
    expect(audit).not.toContain('db-password');
  });

  it('drift baseline accepts today\'s drift: the next run is clean', async () => {
    const { code, stdout, stderr } = await runCli(['drift', 'baseline'], { cwd: root });
    expect(code, stdout + stderr).toBe(0);
    expect(readFileSync(join(root, '.driftguard/drift-baseline.yaml'), 'utf8')).toContain('- aws_security_group.web.tags.Owner');
    const after = await schedule();
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain('1 stacks checked: 0 drifted, 1 clean');
  });

  it('drift baseline keeps the order of the rules already there (a later ! re-include still wins) and appends today\'s', async () => {
    mkdirSync(join(root, '.driftguard'), { recursive: true });
    writeFileSync(join(root, '.driftguard/drift-baseline.yaml'), 'ignore:\n  - aws_security_group.web\n  - "!aws_security_group.web.ingress"\n');
    const { code } = await runCli(['drift', 'baseline'], { cwd: root });
    expect(code).toBe(0);
    const rules = (readFileSync(join(root, '.driftguard/drift-baseline.yaml'), 'utf8').match(/^ {2}- .*$/gm) ?? []).map((l) => l.slice(4));
    expect(rules.slice(0, 2)).toEqual(['aws_security_group.web', '"!aws_security_group.web.ingress"']);
    expect(rules).toContain('aws_security_group.web.ingress');
  });

  it('a baseline rule that cannot be read is named with its file, line and column', async () => {
    mkdirSync(join(root, '.driftguard'), { recursive: true });
    writeFileSync(join(root, '.driftguard/drift-baseline.yaml'), 'ignore:\n  - aws_subnet.a\n  - aws_subnet.p.tags["bad]\n');
    const run = await schedule();
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/drift-baseline\.yaml:3:5: ignore rule "aws_subnet\.p\.tags\[.*bad\]": unterminated quoted key/);
  });
});

describe('workload drift (Argo CD) and Jira', () => {
  let github: GitHubServer;
  let side: Server;
  let url = '';
  const apps = [
    { metadata: { name: 'payments', namespace: 'argocd' }, spec: { project: 'shop' }, status: { sync: { status: 'OutOfSync' }, health: { status: 'Healthy' } } },
    { metadata: { name: 'search', namespace: 'argocd' }, spec: { project: 'shop' }, status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } },
    { metadata: { name: 'sandbox', namespace: 'argocd' }, spec: { project: 'labs' }, status: { sync: { status: 'OutOfSync' }, health: { status: 'Degraded' } } },
  ];
  const jira: Array<{ method: string; path: string; body: string }> = [];
  beforeEach(async () => {
    github = await new GitHubServer().start();
    side = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (req.url === '/api/v1/applications') return req.headers.authorization === 'Bearer argo-secret-token-1' ? json(200, { items: apps }) : json(401, {});
        if (req.url?.startsWith('/rest/api/2/')) {
          jira.push({ method: req.method!, path: req.url, body: raw });
          if (req.headers.authorization !== `Basic ${Buffer.from('bot@acme.test:jira-secret-token-1').toString('base64')}`) return json(401, {});
          if (req.method === 'POST' && req.url === '/rest/api/2/issue') return json(201, { id: '10001', key: 'OPS-7' });
          if (req.method === 'GET') return json(200, { transitions: [{ id: '11', name: 'In Progress', to: { id: '3', name: 'In Progress' } }, { id: '31', name: 'Done', to: { id: '10001', name: 'Done' } }] });
          return res.writeHead(204).end();
        }
        json(404, {});
      });
    });
    await new Promise<void>((r) => side.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;
    writeFileSync(join(root, 'policy.yaml'), `version: 1\ndry_run: false\nworkflows:\n  schedule: [drift]\nmodules:\n  drift:\n    argocd: { enabled: true, projects: [shop] }\n    jira: { enabled: true, project: OPS }\n`);
  });
  afterEach(async () => {
    await github.stop();
    await new Promise<void>((r) => side.close(() => r()));
    jira.length = 0;
  });
  const env = () => ({ ARGOCD_SERVER: url, ARGOCD_AUTH_TOKEN: 'argo-secret-token-1', JIRA_BASE_URL: url, JIRA_EMAIL: 'bot@acme.test', JIRA_API_TOKEN: 'jira-secret-token-1' });
  const schedule = () => runInActions(github, root, 'schedule', { schedule: '0 */6 * * *', repository: { full_name: 'acme/infra', name: 'infra', owner: { login: 'acme' } } }, [], env());

  it('opens a workload-drift issue with a Jira ticket, and transitions the ticket when the app is synced again', async () => {
    const first = await schedule();
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('workload/argocd/payments: Argo CD application argocd/payments (project shop) is OutOfSync');
    expect(first.stdout).not.toContain('sandbox');
    const [issue] = [...github.issues.values()];
    expect(issue).toMatchObject({ title: 'Workload drift: argocd/payments', labels: ['drift', 'workload-drift'] });
    expect(issue!.body).toContain('Jira: OPS-7');
    expect(JSON.parse(jira[0]!.body)).toMatchObject({ fields: { project: { key: 'OPS' }, summary: 'Workload drift: argocd/payments' } });

    apps[0]!.status.sync.status = 'Synced';
    const clean = await schedule();
    expect(clean.code).toBe(0);
    expect(issue!.state).toBe('closed');
    expect(jira.at(-1)).toMatchObject({ method: 'POST', path: '/rest/api/2/issue/OPS-7/transitions', body: JSON.stringify({ transition: { id: '31' } }) });
    for (const out of [first.stdout, first.stderr, clean.stdout, clean.stderr]) {
      expect(out).not.toContain('argo-secret-token-1');
      expect(out).not.toContain('jira-secret-token-1');
    }
  });
});

describe('drift.yml as written', () => {
  it('an explicit --event dispatch inside Actions still files issues in the workflow repository', async () => {
    const github = await new GitHubServer().start();
    try {
      const fixture = join(root, 'plan.json');
      writeFileSync(fixture, JSON.stringify(PLAN));
      const fake = join(root, 'fake-terraform');
      writeFileSync(fake, `#!/usr/bin/env bash\ncase "$1" in\n  init) exit 0 ;;\n  plan) for a in "$@"; do case "$a" in -out=*) : > "\${a#-out=}" ;; esac; done; exit 2 ;;\n  show) cat "${fixture}" ;;\nesac\n`);
      chmodSync(fake, 0o755);
      mkdirSync(join(root, 'stacks', 'web'), { recursive: true });
      mkdirSync(join(root, 'stacks', 'db'), { recursive: true });
      writeFileSync(join(root, 'policy.yaml'), policy('      - { name: web, dir: stacks/web, environment: prod, region: eu-west-1 }\n      - { name: db, dir: stacks/db, environment: qa, region: eu-west-1 }\n', `    binary: ${fake}\n`).replace('schedule: [drift]', 'dispatch: [drift]'));
      const run = await runCli(['run', '--event', 'dispatch', '--environment', 'prod', '--region', 'eu-west-1'], {
        cwd: root,
        env: { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/infra', GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url },
      });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toContain('1 stacks checked: 1 drifted');
      expect([...github.issues.values()].map((i) => i.title)).toEqual(['Drift: web (prod, eu-west-1)']);
    } finally {
      await github.stop();
    }
  });
});
