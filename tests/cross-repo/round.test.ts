import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRound } from '../../modules/cross-repo/round.ts';
import { runCli } from '../helpers/cli.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { example, prPayload, runInActions } from '../helpers/github-run.ts';


const OPENAPI = `openapi: 3.0.3
info: { title: Orders, version: 1.0.0 }
paths:
  /orders:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, total]
                properties:
                  id: { type: string }
                  total: { type: number }
`;

const SOURCE_POLICY = (timeout = '6h', onTimeout = 'fail') => `version: 1
dry_run: false
workflows:
  pr_synchronize: [cross_repo]
  schedule: [cross_repo]
modules:
  cross_repo:
    on_timeout: ${onTimeout}
    contracts:
      - name: orders-api
        paths: ["api/openapi.yaml"]
        dependents: ["acme/billing", "acme/shipping"]
        timeout: ${timeout}
`;
const DEPENDENT_POLICY = `version: 1
dry_run: false
workflows:
  downstream_result: [cross_repo]
`;

let server: GitHubServer;
let repo: TestRepo;
let base: string;
let head: string;
let dependentDir: string;

async function setup(change: string, policy = SOURCE_POLICY()): Promise<void> {
  ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# orders\n', 'policy.yaml': policy, 'api/openapi.yaml': OPENAPI }, { 'api/openapi.yaml': change }));
  server.pulls.set(7, { number: 7, state: 'open', user: { login: 'dev' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: ['api/openapi.yaml'] });
}

beforeEach(async () => {
  server = await new GitHubServer().start();
  server.dispatchable.add('acme/billing');
  server.dispatchable.add('acme/shipping');
  dependentDir = mkdtempSync(join(tmpdir(), 'dg-dependent-'));
  writeFileSync(join(dependentDir, 'policy.yaml'), DEPENDENT_POLICY);
});
afterEach(async () => {
  await server.stop();
  repo?.remove();
});

const additive = OPENAPI.replace('                  total: { type: number }\n', '                  total: { type: number }\n                  currency: { type: string }\n');
const pr = () => prPayload('synchronize', { number: 7, base, head, author: 'dev' });
const roundCheck = () => server.checkRuns.filter((c) => c.name === 'driftguard/cross-repo').at(-1)!;
const tokens = () => ({ DRIFTGUARD_DISPATCH_TOKEN: server.token });

/** The dependent's side: its workflow got the repository_dispatch, ran its tests, and reports back. */
async function answer(dependent: string, verdict: 'pass' | 'fail', payloadOverride: Record<string, unknown> = {}) {
  const dispatch = server.dispatches.find((d) => d.repo === dependent)!;
  const payload = example('repository_dispatch');
  payload.action = dispatch.event_type;
  payload.client_payload = { ...dispatch.client_payload, ...payloadOverride };
  payload.repository.full_name = dependent;
  const file = join(dependentDir, `${dependent.replace('/', '-')}.json`);
  writeFileSync(file, JSON.stringify(payload));
  return runCli(['run', '--event', 'downstream_result', '--payload', file, '--verdict', verdict, '--run-url', `https://github.test/${dependent}/actions/runs/1`], {
    cwd: dependentDir,
    env: { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: dependent, ...tokens() },
  });
}

describe('cross-repo round trip', () => {
  it('dispatches every dependent with a correlation id and sets a pending check listing them', async () => {
    await setup(additive);
    const run = await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(server.dispatches.map((d) => [d.repo, d.event_type])).toEqual([
      ['acme/billing', 'driftguard-contract-changed'],
      ['acme/shipping', 'driftguard-contract-changed'],
    ]);
    const check = roundCheck();
    expect(check).toMatchObject({ head_sha: head, status: 'in_progress', conclusion: null });
    expect(check.output.summary).toContain('| `acme/billing` | pending |');
    expect(server.dispatches[0]!.client_payload).toMatchObject({ source_repo: 'Codertocat/Hello-World', pr: 7, head_sha: head, correlation_id: check.external_id, contracts: ['orders-api'] });
    expect(server.checkRuns.filter((c) => c.name === 'driftguard/cross-repo')).toHaveLength(1);
  });

  it('turns green when every dependent passed', async () => {
    await setup(additive);
    await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect((await answer('acme/billing', 'pass')).code).toBe(0);
    expect(roundCheck()).toMatchObject({ status: 'in_progress' });
    const last = await answer('acme/shipping', 'pass');
    expect(last.stdout).toContain('round success');
    expect(roundCheck()).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('turns red when any dependent failed', async () => {
    await setup(additive);
    await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    await answer('acme/billing', 'fail');
    expect(roundCheck()).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(roundCheck().output.title).toContain('failed in acme/billing');
  });

  it('follows on_timeout when a dependent never answers', async () => {
    await setup(additive, SOURCE_POLICY('1s', 'fail'));
    await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    await answer('acme/billing', 'pass');
    await new Promise((r) => setTimeout(r, 1200));
    const sweep = await runInActions(server, repo.dir, 'schedule', { schedule: '*/15 * * * *', repository: pr().repository }, [], tokens());
    expect(sweep.code, sweep.stdout).toBe(0);
    expect(roundCheck()).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(roundCheck().output.title).toContain('no answer from acme/shipping');
  });

  it('fails the round when a dependent cannot be dispatched', async () => {
    server.dispatchable.delete('acme/shipping');
    await setup(additive);
    const run = await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('acme/shipping could not be');
    expect(roundCheck()).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(decodeRound(roundCheck().output.text!)!.dependents['acme/shipping']).toMatchObject({ state: 'failed', reason: expect.stringContaining('cannot dispatch (HTTP 404)') });
  });

  it('ignores a result for an older commit; a new push starts a new round', async () => {
    await setup(additive);
    await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    const oldSha = head;
    repo.write({ 'README.md': '# orders v2\n' });
    head = repo.commit('push');
    server.pulls.get(7)!.head.sha = head;
    const stale = await answer('acme/billing', 'pass');
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain(`ignored: a result for ${oldSha.slice(0, 12)}`);
    expect(server.checkRuns.find((c) => c.head_sha === oldSha)!.status).toBe('in_progress');
  });

  it('refuses a forged result with a wrong correlation id', async () => {
    await setup(additive);
    await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    const forged = await answer('acme/billing', 'pass', { correlation_id: '00000000-0000-4000-8000-000000000000' });
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain('refused: no round with correlation id 00000000-0000-4000-8000-000000000000');
    expect(roundCheck()).toMatchObject({ status: 'in_progress' });
    const stranger = await answer('acme/billing', 'pass', {});
    expect(stranger.code).toBe(0);
  });

  it('a breaking change fails the PR check and the round, with the finding on its line', async () => {
    await setup(OPENAPI.replace('                  total: { type: number }\n', ''));
    const run = await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('api/openapi.yaml:14  breaking change in orders-api: response-required-property-removed: GET /orders: removed the required response property `total` from the 200 application/json response (/paths/~1orders/get/responses/200/content/application~1json/schema/properties/total; line 16 of the base version)');
    expect(roundCheck()).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('a change to a file the OpenAPI document references is compared through the document, in its direction', async () => {
    const root = OPENAPI.replace(/              schema:\n[^]*$/, "              schema: { $ref: 'schemas/order.yaml' }\n");
    const order = (required: string) => `type: object\nrequired: [${required}]\nproperties:\n  id: { type: string }\n  total: { type: number }\n`;
    ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# orders\n', 'policy.yaml': SOURCE_POLICY().replace('paths: ["api/openapi.yaml"]', 'paths: ["api/**"]'), 'api/openapi.yaml': root, 'api/schemas/order.yaml': order('id, total') }, { 'api/schemas/order.yaml': order('id') }));
    server.pulls.set(7, { number: 7, state: 'open', user: { login: 'dev' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: ['api/schemas/order.yaml'] });
    const run = await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('api/schemas/order.yaml:2  breaking change in orders-api: response-property-became-optional: GET /orders: the response property `total` of the 200 application/json response became optional (/paths/~1orders/get/responses/200/content/application~1json/schema/required)');
  });

  it('a head that cannot be compared blocks with file, line and reason: a conflict marker, a Swagger 2.0 file', async () => {
    await setup(OPENAPI.replace('paths:\n', '<<<<<<< HEAD\npaths:\n=======\npaths:\n>>>>>>> feature\n'));
    const run = await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('api/openapi.yaml:3  orders-api: cannot compare api/openapi.yaml: the new version, line 3: unresolved merge conflict marker');

    await setup('swagger: "2.0"\ninfo: { title: Orders, version: 1.0.0 }\npaths: {}\n');
    const swagger = await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    expect(swagger.code).toBe(1);
    expect(swagger.stdout).toContain('Swagger 2.0 is not compared');
  });

  it('--dry-run prints the dispatches and checks it would create and sends nothing', async () => {
    await setup(additive);
    const run = await runInActions(server, repo.dir, 'pull_request', pr(), ['--dry-run'], tokens());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('would dispatch acme/billing');
    expect(run.stdout).toContain('would create check run driftguard/cross-repo');
    expect(server.writes()).toHaveLength(0);
  });
});

describe('cross-repo on a push to the default branch', () => {
  it('dispatches dependents when on_push is on, and their answers decide the check on the pushed commit', async () => {
    await setup(additive, SOURCE_POLICY().replace('workflows:\n', 'workflows:\n  push: [cross_repo]\n').replace('    on_timeout: fail\n', '    on_timeout: fail\n    on_push: true\n'));
    const push = example('push');
    Object.assign(push, { ref: 'refs/heads/main', before: base, after: head });
    push.repository.default_branch = 'main';
    push.repository.full_name = 'Codertocat/Hello-World';
    const run = await runInActions(server, repo.dir, 'push', push, [], tokens());
    expect(run.code, run.stdout).toBe(0);
    expect(server.dispatches.map((d) => d.repo)).toEqual(['acme/billing', 'acme/shipping']);
    expect(server.dispatches[0]!.client_payload).toMatchObject({ pr: 0, head_sha: head });
    await answer('acme/billing', 'pass');
    await answer('acme/shipping', 'pass');
    expect(roundCheck()).toMatchObject({ head_sha: head, status: 'completed', conclusion: 'success' });
  });

  it('does nothing on a push to another branch', async () => {
    await setup(additive, SOURCE_POLICY().replace('workflows:\n', 'workflows:\n  push: [cross_repo]\n').replace('    on_timeout: fail\n', '    on_timeout: fail\n    on_push: true\n'));
    const push = example('push');
    Object.assign(push, { ref: 'refs/heads/feature', before: base, after: head });
    push.repository.default_branch = 'main';
    const run = await runInActions(server, repo.dir, 'push', push, [], tokens());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('push to feature, not the default branch');
    expect(server.dispatches).toHaveLength(0);
  });
});

describe('two answers at once', () => {
  it('an answer recorded between another one\'s read and write is kept', async () => {
    const { crossRepo } = await import('../../modules/cross-repo/index.ts');
    const { parsePolicy } = await import('../../src/policy/load.ts');
    const { REGISTRY } = await import('../../modules/registry.ts');
    const { testDeps } = await import('../helpers/deps.ts');
    const { encodeRound } = await import('../../modules/cross-repo/round.ts');
    await setup(additive);
    await runInActions(server, repo.dir, 'pull_request', pr(), [], tokens());
    const correlation = roundCheck().external_id!;
    const policy = await parsePolicy('policy.yaml', DEPENDENT_POLICY, REGISTRY);
    const deps = testDeps({ env: tokens(), endpoints: { github: server.url } });
    const ctx = {
      runId: 'r',
      event: { name: 'downstream_result' as const, source: 'cli' as const, actor: 'ci', change: { kind: 'none' as const }, inputs: { source_repo: 'Codertocat/Hello-World', pr: 7, head_sha: head, correlation_id: correlation, verdict: 'pass', dependent: 'acme/billing' } },
      config: policy.modules.cross_repo as never,
      policy,
      policyFile: 'policy.yaml',
      dryRun: false,
      deps,
      log: deps.log,
      signal: new AbortController().signal,
      now: new Date(),
      state: new Map(),
    };
    const planned = await crossRepo.plan(ctx);
    // Meanwhile shipping's answer lands on the check run.
    const round = decodeRound(roundCheck().output.text!)!;
    round.dependents['acme/shipping'] = { state: 'passed' };
    roundCheck().output.text = encodeRound(round);
    await crossRepo.apply!(planned, ctx);
    expect(decodeRound(roundCheck().output.text!)!.dependents).toMatchObject({ 'acme/billing': { state: 'passed' }, 'acme/shipping': { state: 'passed' } });
    expect(roundCheck()).toMatchObject({ status: 'completed', conclusion: 'success' });
  });
});
