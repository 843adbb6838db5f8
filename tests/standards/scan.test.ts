import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { GitHubOrg } from '../helpers/github-org.ts';
import { GitHubServer } from '../helpers/github-server.ts';

// One organisation on the loopback GitHub API, scanned again and again as its repositories change:
// the tests of this file run in order and each starts from where the one before left the org.
let server: GitHubServer;
let org: GitHubOrg;
let moto: MotoServer;
let dir: string;
/** What the chat webhook received (a loopback server standing in for a generic webhook). */
let hook: { url: string; bodies: Array<{ driftguard: { event: string; title: string; facts: Array<[string, string]>; items: string[] } }>; close: () => Promise<void> };
const BOT = 'github-actions[bot]';

const META = (tier: string, status = 'active') => `tier: ${tier}\nstatus: ${status}\nteam: core\n`;
const CI = 'name: ci\non: push\njobs: {}\n';

const policy = () => `version: 1
dry_run: false
workflows:
  schedule: [standards]
modules:
  standards:
    org: acme
    repositories: [acme/listed]
    concurrency: 4
    tiers:
      production:
        process:
          branch_protection: { required_reviews: 2, required_status_checks: [ci], dismiss_stale_reviews: true, enforce_admins: true }
          codeowners: true
          required_workflows: [.github/workflows/ci.yml]
          required_labels: [security]
        code: { files: [check.toml, .eslintrc.json, ".github/workflows/**"] }
        infra: { orphans: true }
      internal:
        process: { branch_protection: { required_reviews: 1 } }
        code: { files: [.eslintrc.json] }
    infra: { terraform_state: "states/{project}.json", aws: { regions: [us-east-1], endpoint: "${moto.url}" } }
notifications:
  enabled: true
  targets: [{ kind: webhook, url_env: STANDARDS_HOOK, events: [standards] }]
`;

function scan(extra: string[] = [], env: Record<string, string> = {}) {
  return runCli(['standards', 'scan', ...extra], {
    cwd: dir,
    env: { GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'acme/platform', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true', ...env },
  });
}

const issues = (repo: string) => [...org.repo(repo).issues.values()];
const issueOf = (repo: string, label: string) => issues(repo).find((i) => i.labels.includes(label) && i.author === BOT);
const writesTo = (repo: string, from: number) => server.requests.slice(from).filter((r) => r.method !== 'GET' && r.path.startsWith(`/repos/${repo}/`));
const json = (stdout: string) => JSON.parse(stdout) as { steps: Array<{ outcome: { data: { repositories: Array<{ repository: string; outcome: string }>; requests: number; notModified: number }; actions: Array<{ kind: string; target: string; status: string; detail?: string }> } }> };

beforeAll(async () => {
  const bodies: typeof hook.bodies = [];
  const chat = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as (typeof bodies)[number]);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  hook = { url: `http://127.0.0.1:${(chat.address() as AddressInfo).port}/hook/secret-part`, bodies, close: () => new Promise((resolve) => chat.close(() => resolve())) };
  server = await new GitHubServer().start();
  moto = await new MotoServer().start();
  org = new GitHubOrg(server, 'acme');
  org.owners.add('@acme/core');
  org.owners.add('@alice');
  dir = mkdtempSync(join(tmpdir(), 'dg-standards-'));
  writeFileSync(join(dir, 'policy.yaml'), policy());
  // payments' Terraform state (as `terraform show -json` writes it) manages one of its two buckets.
  mkdirSync(join(dir, 'states'));
  writeFileSync(join(dir, 'states', 'payments.json'), JSON.stringify({ format_version: '1.0', values: { root_module: { resources: [], child_modules: [{ address: 'module.store', resources: [{ address: 'module.store.aws_s3_bucket.ledger', type: 'aws_s3_bucket', values: { bucket: 'payments-ledger', arn: 'arn:aws:s3:::payments-ledger' } }] }] } } }));

  org.addRepo('platform', { 'README.md': 'runs the scans\n' });
  // Production, protection switched off, CODEOWNERS naming a team that does not exist.
  org.addRepo('payments', { 'repo-metadata.yaml': META('production'), '.github/CODEOWNERS': '* @acme/core\n/src/ @acme/ghosts @alice\n' });
  // Production, a rule weakened (1 review where 2 are required) and a check only in a ruleset; check.toml extends an internal ruleset.
  const billing = org.addRepo('billing', {
    'repo-metadata.yaml': META('production'),
    'CODEOWNERS': '* @alice\n',
    '.github/workflows/ci.yml': CI,
    '.eslintrc.json': '{ "rules": { "no-unused-vars": "error" } }\n',
    'check.toml': '[extends]\nregistry = "github:acme/standards"\nrulesets = ["typescript-internal"]\n\n[process.repo]\nenabled = true\nrequire_branch_protection = true\n\n[process.repo.branch_protection]\nrequired_reviews = 1\nrequire_status_checks = ["lint"]\n\n[process.commits]\nenabled = true\ntypes = ["feat", "fix"]\n',
  });
  billing.protection = { required_approving_review_count: 1, dismiss_stale_reviews: true, enforce_admins: true, contexts: ['ci'] };
  billing.rules.push({ type: 'required_status_checks', parameters: { strict_required_status_checks_policy: false, required_status_checks: [{ context: 'lint' }] }, ruleset_id: 7 });
  billing.labels.push('security', 'bug');
  // Internal and compliant through a ruleset alone.
  const tools = org.addRepo('tools', { 'repo-metadata.yaml': META('internal'), '.eslintrc.json': '{}\n' });
  tools.rules.push({ type: 'pull_request', parameters: { required_approving_review_count: 1, dismiss_stale_reviews_on_push: false, require_code_owner_review: false, require_last_push_approval: false, required_review_thread_resolution: false }, ruleset_id: 3 });
  org.addRepo('proto', { 'repo-metadata.yaml': META('prototype', 'pre-release') });
  org.addRepo('legacy', { 'repo-metadata.yaml': META('prototype', 'deprecated') });
  org.addRepo('broken', { 'repo-metadata.yaml': 'tier: gold\nstatus: active\n' });
  org.addRepo('old', { 'repo-metadata.yaml': META('production') }, { archived: true });
  org.addRepo('nometa', { 'README.md': 'no metadata\n' });
  org.addRepo('listed', { 'README.md': 'listed in the policy\n' });
  // Someone else opened an issue that looks like DriftGuard's ledger and claims every head is scanned.
  const claims = Object.fromEntries([...org.repos.values()].map((r) => [`${r.owner}/${r.name}`, org.head(`${r.owner}/${r.name}`)]));
  org.addIssue('acme/platform', { title: 'ledger', body: `<!-- driftguard:ledger shard=all -->\n\`\`\`json\n${JSON.stringify({ version: 2, at: '2030-01-01T00:00:00Z', repos: claims })}\n\`\`\``, labels: ['driftguard:ledger'], author: 'mallory' });
  // And someone else's drift:process issue in payments: never DriftGuard's to edit.
  org.addIssue('acme/payments', { title: 'drift', body: 'mine', labels: ['drift:process'], author: 'mallory' });

  const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: moto.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: 'legacy-assets' }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: 'legacy-assets', Tagging: { TagSet: [{ Key: 'project', Value: 'legacy' }] } }));
  await s3.send(new CreateBucketCommand({ Bucket: 'payments-data' }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: 'payments-data', Tagging: { TagSet: [{ Key: 'project', Value: 'payments' }] } }));
  await s3.send(new CreateBucketCommand({ Bucket: 'payments-ledger' }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: 'payments-ledger', Tagging: { TagSet: [{ Key: 'project', Value: 'payments' }] } }));
}, 60_000);

afterAll(async () => {
  await hook?.close();
  await server?.stop();
  await moto?.stop();
});

describe('driftguard standards scan', () => {
  it('in dry-run prints every write it would make and sends none', async () => {
    const before = server.requests.length;
    const result = await scan(['--dry-run']);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(1);
    expect(server.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(result.stdout).toMatch(/open issue.*acme\/payments drift:process/);
    expect(result.stdout).toMatch(/open issue.*acme\/platform driftguard:ledger/);
  });

  it('shards split the organisation: each repository in exactly one of 0/2 and 1/2', async () => {
    const names = async (shard: string) => json((await scan(['--dry-run', '--shard', shard, '--format', 'json'])).stdout).steps[0]!.outcome.data.repositories.map((r) => r.repository);
    const [a, b] = [await names('0/2'), await names('1/2')];
    expect(a.filter((x) => b.includes(x))).toEqual([]);
    expect([...a, ...b].sort()).toEqual(['acme/billing', 'acme/broken', 'acme/legacy', 'acme/listed', 'acme/nometa', 'acme/payments', 'acme/platform', 'acme/proto', 'acme/tools']);
  });

  it('first scan: one issue per repository and domain with expected and actual, archived never read, the ledger recorded', async () => {
    const before = server.requests.length;
    const result = await scan([], { STANDARDS_HOOK: hook.url });
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(1);
    // One chat message: the repositories with findings and their domains; notices are not findings.
    expect(hook.bodies).toHaveLength(1);
    const message = hook.bodies[0]!.driftguard;
    expect(message.event).toBe('standards');
    expect(message.items).toContainEqual(expect.stringMatching(/^acme\/payments: process \d+, infra 1$/));
    expect(message.items).toContainEqual(expect.stringMatching(/^acme\/legacy: infra 1$/));
    expect(message.items.some((i) => i.startsWith('acme/tools'))).toBe(false);
    expect(message.title).toBe(`Standards: findings in ${message.items.length} repositories`);
    expect(`${result.stdout}${result.stderr}`).not.toContain('secret-part');
    // The ledger someone else opened is not read: every repository is scanned.
    expect(result.stdout).toMatch(/not opened by github-actions\[bot\]: ignored/);
    expect(server.requests.slice(before).some((r) => r.path.startsWith('/repos/acme/old'))).toBe(false);

    const payments = issueOf('acme/payments', 'drift:process')!;
    expect(payments.title).toBe('DriftGuard standards: process findings in acme/payments');
    expect(payments.body).toMatch(/process\.branch-protection \| `branch protection` \| `on` \| `off \(no classic protection, no ruleset\)`/);
    expect(payments.body).toMatch(/process\.codeowners-error .*`Unknown owner` \| `\.github\/CODEOWNERS:2:7` \| Unknown owner on line 2\\: make sure @&#8203;acme/);
    expect(payments.body).toMatch(/required workflow/);
    expect(payments.body).toMatch(/process\.label-missing \| `required label` \| `security`/);
    expect(issues('acme/payments').find((i) => i.author === 'mallory')!.body).toBe('mine');

    const billing = issueOf('acme/billing', 'drift:process')!;
    expect(billing.body).toMatch(/process\.required-reviews \| `required approving reviews` \| `>= 2` \| `1`/);
    expect(billing.body).toMatch(/check\.toml:3:1/);
    expect(billing.body).toMatch(/typescript\\-internal/);
    // The ruleset's "lint" and protection's "ci" together meet both checks: no status-check finding.
    expect(billing.body).not.toMatch(/status-checks/);
    expect(result.stdout).toMatch(/keys DriftGuard does not check: process\.commits\.enabled, process\.commits\.types/);

    expect(issueOf('acme/broken', 'drift:process')!.body).toMatch(/metadata\.invalid .*`repo\\?-metadata\.yaml:1:7`/);
    expect(issueOf('acme/broken', 'drift:process')!.body).toMatch(/tier\\: expected .*production.* or .*internal.* or .*prototype.*got .*gold/);
    // The deprecated project's bucket is still there; the active project has a bucket its Terraform state does not manage.
    const legacy = issueOf('acme/legacy', 'drift:infra')!;
    expect(legacy.body).toMatch(/infra\.deprecated-resource .*`arn:aws:s3:::legacy-assets`/);
    const orphan = issueOf('acme/payments', 'drift:infra')!;
    expect(orphan.body).toMatch(/infra\.orphan .*`in the Terraform state states\/payments\.json` \| `arn:aws:s3:::payments-data`/);
    expect(orphan.body).not.toMatch(/payments-ledger/);
    // billing has no state file: said in a notice, no issue.
    expect(result.stdout).toMatch(/no Terraform state at states\/billing\.json: orphans of billing not checked/);
    expect(issueOf('acme/billing', 'drift:infra')).toBeUndefined();
    // Listed in the policy without metadata: scanned at the default tier (internal), which wants protection.
    expect(issueOf('acme/listed', 'drift:process')!.body).toMatch(/tier `internal`[\s\S]*branch protection/);
    for (const clean of ['acme/tools', 'acme/proto', 'acme/nometa', 'acme/old']) expect(issues(clean)).toEqual([]);
    expect(issueOf('acme/billing', 'drift:code')).toBeUndefined();

    const ledger = issueOf('acme/platform', 'driftguard:ledger')!;
    const recorded = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(ledger.body)![1]!) as { repos: Record<string, string> };
    expect(recorded.repos['acme/billing']).toBe(org.head('acme/billing'));
    expect(recorded.repos['acme/old']).toBeUndefined();
    expect(result.stdout).toMatch(/first scan/);
  });

  it('second scan: unchanged repositories are skipped, nothing is rewritten, and ETags turn reads into 304s', async () => {
    const before = server.requests.length;
    const result = await scan(['--format', 'json']);
    const data = json(result.stdout).steps[0]!.outcome.data;
    expect(server.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(data.repositories.filter((r) => r.outcome === 'unchanged').length).toBe(9);
    expect(data.notModified).toBeGreaterThan(0);
    // The org listing, the ledger and one branch per repository.
    expect(data.requests).toBe(11);
  });

  it('a changed lint config is a code finding with its diff and the commit that changed it; unchanged process findings are not rewritten', async () => {
    const sha = org.commit('acme/billing', { '.eslintrc.json': '{ "rules": { "no-unused-vars": "off" } }\n', 'src/app.ts': 'x\n' }, 'relax lint');
    const before = server.requests.length;
    const result = await scan();
    expect(result.stderr).not.toMatch(/internal error/);
    const code = issueOf('acme/billing', 'drift:code')!;
    expect(code.body).toContain(sha.slice(0, 12));
    expect(code.body).toContain('+{ "rules": { "no-unused-vars": "off" } }');
    expect(code.body).not.toContain('src/app.ts');
    expect(writesTo('acme/billing', before).map((r) => r.method)).toEqual(['POST']);
  });

  it('updates an issue in place when its findings change', async () => {
    const number = issueOf('acme/payments', 'drift:process')!.number;
    org.repo('acme/payments').labels.push('security');
    org.commit('acme/payments', { 'README.md': 'new\n' });
    const before = server.requests.length;
    await scan();
    expect(writesTo('acme/payments', before).map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /repos/acme/payments/issues/${number}`]);
    expect(issueOf('acme/payments', 'drift:process')!.body).not.toMatch(/label-missing/);
  });

  it('comments once when all findings are resolved, and leaves the issue open', async () => {
    const issue = issueOf('acme/broken', 'drift:process')!;
    org.commit('acme/broken', { 'repo-metadata.yaml': META('prototype') });
    await scan();
    expect(issue.comments.map((c) => c.body)).toEqual([expect.stringMatching(/^All process findings in this repository are resolved/)]);
    expect(issue.state).toBe('open');
    org.commit('acme/broken', { 'README.md': 'again\n' });
    const before = server.requests.length;
    await scan();
    expect(writesTo('acme/broken', before)).toEqual([]);
    expect(issue.comments.length).toBe(1);
  });

  it('a full rescan answered from the ETag cache finds exactly what a fresh read finds', async () => {
    writeFileSync(join(dir, 'full.yaml'), policy().replace('    concurrency: 4\n', '    concurrency: 4\n    only_changed: false\n    etag_cache: full-etags.json\n'));
    const run = async () => {
      const out = json((await scan(['--policy', 'full.yaml', '--dry-run', '--format', 'json'])).stdout).steps[0]!.outcome;
      return { out, findings: (out as unknown as { findings: unknown[] }).findings };
    };
    const fresh = await run();
    const cached = await run();
    expect(fresh.out.data.notModified).toBe(0);
    expect(cached.out.data.notModified).toBeGreaterThan(cached.out.data.requests / 2);
    expect(cached.findings).toEqual(fresh.findings);
    expect(cached.out.actions).toEqual(fresh.out.actions);
  });

  it('a repository GitHub fails to answer is an error of the run (exit 3): the others are scanned, its ledger entry stays', async () => {
    const recorded = () => (JSON.parse(/```json\n([\s\S]*?)\n```/.exec(issueOf('acme/platform', 'driftguard:ledger')!.body)![1]!) as { repos: Record<string, string> }).repos;
    const before = recorded()['acme/tools'];
    org.commit('acme/tools', { 'README.md': 'new\n' });
    org.commit('acme/proto', { 'README.md': 'new\n' });
    server.failures.push({ method: 'GET', path: /^\/repos\/acme\/tools\/rules\//, status: 500, times: 4, message: 'Server Error' });
    const result = await scan();
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/acme\/tools/);
    expect(recorded()['acme/tools']).toBe(before);
    expect(recorded()['acme/proto']).toBe(org.head('acme/proto'));
  });

  it('switching protection off again is found on a repository with new commits', async () => {
    org.repo('acme/billing').protection = undefined;
    org.repo('acme/billing').rules = [];
    org.commit('acme/billing', { 'README.md': 'touch\n' });
    await scan(['--domain', 'process', '--repo', 'acme/billing']);
    expect(issueOf('acme/billing', 'drift:process')!.body).toMatch(/branch protection` \| `on` \| `off/);
  });
});

describe('driftguard standards: usage', () => {
  it('refuses a bad domain, shard, repository or misplaced option with exit 2 and the usage, before any request', async () => {
    const before = server.requests.length;
    for (const args of [['scan', '--domain', 'docs'], ['scan', '--shard', '2/2'], ['scan', '--repo', 'nope'], ['audit', '--shard', '0/2'], ['scan', '--threshold', '3'], ['lint']]) {
      const result = await runCli(['standards', ...args], { cwd: dir, env: { GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url } });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/--domain must be one of process, code, infra|--shard must be "i\/n"|--repo must be "owner\/name"|belong to "standards scan"|belongs to "standards audit"|usage: driftguard standards scan/);
    }
    expect(server.requests.length).toBe(before);
    writeFileSync(join(dir, 'empty.yaml'), 'version: 1\n');
    const empty = await runCli(['standards', 'scan', '--policy', 'empty.yaml'], { cwd: dir, env: { GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url } });
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('nothing to scan: pass --org ORG or --repo OWNER/NAME')]);
  });

  it('documents every option in --help', async () => {
    const result = await runCli(['standards', '--help']);
    for (const option of ['--org ORG', '--repo OWNER/NAME', '--domain D', '--shard i/n', '--threshold N', '--dry-run']) expect(result.stdout).toContain(option);
  });
});

describe('driftguard standards audit', () => {
  it('in dry-run prints the summary write and sends none', async () => {
    const before = server.requests.length;
    const result = await runCli(['standards', 'audit', '--threshold', '1', '--dry-run'], { cwd: dir, env: { GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'acme/platform' } });
    expect(result.stdout).toMatch(/would POST \/repos\/acme\/platform\/issues: open the summary issue \(dry run: nothing sent\)/);
    expect(server.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('lists repositories over the threshold in one summary issue, updated in place', async () => {
    const env = { GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'acme/platform' };
    const first = await runCli(['standards', 'audit', '--threshold', '1'], { cwd: dir, env });
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/acme\/billing: 2 \(process 1, code 1, infra 0\)/);
    expect(first.stdout).toMatch(/acme\/payments: 2 \(process 1, code 0, infra 1\)/);
    expect(first.stdout).not.toMatch(/acme\/legacy/);
    expect(first.code).toBe(1);
    const summary = issueOf('acme/platform', 'driftguard:audit')!;
    expect(summary.body).toMatch(/acme\/billing/);
    const before = server.requests.length;
    await runCli(['standards', 'audit', '--threshold', '1'], { cwd: dir, env });
    expect(writesTo('acme/platform', before)).toEqual([]);
    await runCli(['standards', 'audit', '--threshold', '0'], { cwd: dir, env });
    expect(writesTo('acme/platform', before).map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /repos/acme/platform/issues/${summary.number}`]);
    expect(summary.body).toMatch(/acme\/legacy/);
  });
});
