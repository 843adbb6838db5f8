import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';
import { TestRepo } from './helpers/git-repo.ts';
import { example } from './helpers/github-run.ts';

const work = mkdtempSync(join(tmpdir(), 'dg-cli-'));
function write(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}


const PR_POLICY = `version: 1
audit: { dir: audit }
workflows:
  pr_opened: [doc_sync]
  pr_synchronize: [doc_sync]
modules:
  doc_sync:
    ai: { enabled: false }
`;

describe('driftguard CLI', () => {
  const repos: TestRepo[] = [];
  afterAll(() => repos.forEach((r) => r.remove()));

  it('--help lists every command with one line each', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const command of ['run', 'validate', 'schema', 'graph', 'demo']) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S.+$`, 'm'));
    expect(stdout).toContain('Exit codes: 0 pass, 1 blocked by policy, 2 bad usage or policy, 3 the run could not complete.');
  });

  it('bad usage exits 2 with a message and no stack trace', async () => {
    for (const args of [['frobnicate'], ['run', '--nope'], ['run', '--format', 'yaml', '--event', 'pr_opened'], ['run', '--event', 'pr_open']]) {
      const { code, stderr } = await runCli(args, { cwd: work });
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(/^driftguard: /);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('validate exits 0 on a good policy and 2 with every located problem on a bad one', async () => {
    expect((await runCli(['validate', '--policy', write('good.yaml', PR_POLICY)])).code).toBe(0);
    const bad = write('bad.yaml', 'version: 1\nmodules:\n  doc_sync:\n    ttl: 24h\n    on_fail: nope\n');
    const { code, stderr } = await runCli(['validate', '--policy', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}:4:5 modules.doc_sync.ttl: unknown key "ttl"`);
    expect(stderr).toContain(`${bad}:5:14 modules.doc_sync.on_fail: expected "block" or "warn", got "nope"`);
  });

  it('run with an invalid policy does nothing: exit 2, no audit artifact', async () => {
    const { repo } = TestRepo.withChange({ 'README.md': '# x\n' }, { 'a.js': 'process.env.NEW_THING\n' });
    repos.push(repo);
    writeFileSync(join(repo.dir, 'policy.yaml'), 'version: 1\naudit: { dir: audit }\nworkflows:\n  pr_opened: [doc_sink]\n');
    const { code, stderr } = await runCli(['run', '--event', 'pr_opened', '--base', 'main'], { cwd: repo.dir });
    expect(code).toBe(2);
    expect(stderr).toContain('did you mean "doc_sync"');
    expect(existsSync(join(repo.dir, 'audit'))).toBe(false);
  });

  it('run on local git blocks an undocumented variable (exit 1) and writes the audit artifact', async () => {
    const { repo, head } = TestRepo.withChange({ 'README.md': '# x\nUses `OLD_ONE`.\n' }, { 'src/a.ts': 'export const a = process.env.NEW_THING;\n' });
    repos.push(repo);
    writeFileSync(join(repo.dir, 'policy.yaml'), PR_POLICY);
    const { code, stdout } = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--format', 'json'], { cwd: repo.dir });
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { outcome: string; steps: Array<{ outcome: { findings: Array<{ file: string; line: number; title: string }> } }>; auditFile: string };
    expect(report.outcome).toBe('blocked');
    expect(report.steps[0]!.outcome.findings).toEqual([expect.objectContaining({ file: 'src/a.ts', line: 1, title: 'NEW_THING' })]);
    const files = readdirSync(join(repo.dir, 'audit'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^driftguard-pr_opened-.+\.json$/);
    const audit = JSON.parse(readFileSync(join(repo.dir, 'audit', files[0]!), 'utf8')) as Record<string, unknown>;
    expect(audit).toMatchObject({ event: 'pr_opened', dryRun: true, sha: head, outcome: 'blocked', exitCode: 1, policy: { file: 'policy.yaml', hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } });
    expect((audit.steps as Array<{ outcome: { decisions: unknown[] } }>)[0]!.outcome.decisions).toContainEqual({ subject: 'NEW_THING', decision: 'undocumented', reason: 'src/a.ts:1 (js.process-env)' });
  });

  it('inside GitHub Actions takes the event and payload from GITHUB_EVENT_NAME / GITHUB_EVENT_PATH', async () => {
    const { repo, base, head } = TestRepo.withChange({ 'README.md': '# x\n', 'policy.yaml': PR_POLICY }, { 'main.go': 'package main\nvar x = os.Getenv("FROM_ACTIONS")\n' });
    repos.push(repo);
    const event = example('pull_request', 'opened');
    const pr = event.pull_request as Record<string, Record<string, unknown>>;
    pr.base!.sha = base;
    pr.head!.sha = head;
    const eventPath = join(repo.dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(event));
    const { code, stdout } = await runCli(['run', '--format', 'text'], {
      cwd: repo.dir,
      env: { GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath, GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2' },
    });
    expect(code).toBe(1);
    expect(stdout).toContain(`pr_opened ${(event.repository as { full_name: string }).full_name}#${String(pr.number ?? (event as { number: number }).number)}`);
    expect(stdout).toContain('main.go:2  FROM_ACTIONS');
    expect(existsSync(join(repo.dir, 'audit', 'driftguard-pr_opened-77-2.json'))).toBe(true);
  });

  it('a GitHub event DriftGuard has no use for is a clean no-op', async () => {
    const eventPath = write('labeled.json', JSON.stringify(example('pull_request', 'labeled')));
    const policy = write('p.yaml', PR_POLICY);
    const { code, stdout } = await runCli(['run', '--policy', policy], { cwd: work, env: { GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath } });
    expect(code).toBe(0);
    expect(stdout).toContain('nothing to do for GitHub event pull_request.labeled');
  });

  it('--verdict-dir outside a GitHub pull request is bad usage before anything runs, and a file in its place is named', async () => {
    const { repo } = TestRepo.withChange({ 'README.md': '# x\n', 'policy.yaml': PR_POLICY }, { 'a.js': 'process.env.NEW_THING\n' });
    repos.push(repo);
    const local = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--verdict-dir', join(work, 'vd')], { cwd: repo.dir });
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--verdict-dir needs a pull request event from GitHub');
    expect(local.stdout).toBe('');
    expect(existsSync(join(repo.dir, 'audit'))).toBe(false);
    const file = write('not-a-folder', 'x');
    const blocked = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--verdict-dir', file], { cwd: repo.dir });
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toContain(`--verdict-dir ${file} is not a folder DriftGuard can write in (ENOTDIR)`);
  });

  it('inside GitHub Actions, an event with no payload is bad usage, never a pass', async () => {
    const policy = write('p-nopayload.yaml', PR_POLICY);
    for (const path of [undefined, '']) {
      const { code, stderr } = await runCli(['run', '--policy', policy], { cwd: work, env: { GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path } });
      expect(code).toBe(2);
      expect(stderr).toContain('GITHUB_EVENT_NAME is pull_request but GITHUB_EVENT_PATH is not set');
    }
  });

  it.each([
    ['a push payload for pr_opened', () => JSON.stringify(example('push')), /not a valid pull_request event/],
    ['a closed PR payload for pr_opened', () => JSON.stringify(example('pull_request', 'closed')), /a pull_request "closed" payload cannot drive --event pr_opened/],
    ['a file that is not JSON', () => 'not json at all', /the payload is not a JSON object/],
    ['a JSON array', () => '[1,2,3]', /the payload is not a JSON object/],
  ])('refuses %s with exit 2', async (_, make, pattern) => {
    const file = write(`payload-${Math.random()}.json`, make());
    const { code, stderr } = await runCli(['run', '--event', 'pr_opened', '--payload', file, '--policy', write('p2.yaml', PR_POLICY)], { cwd: work });
    expect(code).toBe(2);
    expect(stderr).toMatch(pattern);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a run that cannot complete exits 3 (head commit missing from the clone)', async () => {
    const { repo } = TestRepo.withChange({ 'README.md': '# x\n' }, { 'a.js': '1\n' });
    repos.push(repo);
    writeFileSync(join(repo.dir, 'policy.yaml'), PR_POLICY);
    const event = example('pull_request', 'opened');
    const file = join(repo.dir, 'event.json');
    writeFileSync(file, JSON.stringify(event));
    const { code, stdout } = await runCli(['run', '--event', 'pr_opened', '--payload', file], { cwd: repo.dir });
    expect(code).toBe(3);
    expect(stdout).toMatch(/ERROR doc_sync: doc_sync failed: the base commit \w+ and the head commit \w+ are not in the local clone .*check out with full history/);
  });

  it('graph prints the machine as Mermaid', async () => {
    const { code, stdout } = await runCli(['graph', '--policy', write('g.yaml', PR_POLICY), '--event', 'pr_opened']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^stateDiagram-v2/);
    expect(stdout).toContain('routing --> pr_opened: event pr_opened');
    expect(stdout).not.toContain('pr_synchronize_doc_sync');
  });

  it('schema prints the committed policy.schema.json', async () => {
    const { code, stdout } = await runCli(['schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(readFileSync('policy.schema.json', 'utf8')));
  });

  it('demo shows the undocumented variable with no token and no network', async () => {
    const dir = join(work, 'demo');
    const { code, stdout } = await runCli(['demo', '--dir', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('src/config.ts:5  RETRY_BUDGET_MS: new environment variable RETRY_BUDGET_MS is not mentioned in the docs (searched README.md)');
    expect(stdout).not.toContain('PAYMENTS_REGION:');
    expect(stdout).toContain('AI not used: GEMINI_API_KEY is not set');
    expect(stdout).toContain('Result: BLOCKED (exit 1)');
  });
});
