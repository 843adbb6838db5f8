import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriftGuardError } from '../../src/errors.ts';
import { parsePolicy } from '../../src/policy/load.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { findingsDigest } from '../../modules/standards/findings.ts';
import { issueBody, planIssue } from '../../modules/standards/issues.ts';
import { ISSUE_BODY_MAX, ledgerBody, parseLedgerBody } from '../../modules/standards/ledger.ts';
import { mergeProcess, parseCheckToml, parseRepoMetadata } from '../../modules/standards/metadata.ts';
import { compareProcess, type ProcessActual } from '../../modules/standards/process.ts';
import { inShard, parseShard } from '../../modules/standards/scan.ts';
import { orphans, stateArns } from '../../modules/standards/infra.ts';
import { EtagCache } from '../../modules/standards/github.ts';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { ProcessStandard } from '../../modules/standards/schema.ts';
import type { RepoIssue } from '../../modules/standards/github.ts';

async function problems(text: string): Promise<string[]> {
  try {
    await parsePolicy('policy.yaml', text, REGISTRY);
  } catch (err) {
    expect(err).toBeInstanceOf(DriftGuardError);
    return [...(err as DriftGuardError).details];
  }
  return [];
}

describe('modules.standards in policy.yaml', () => {
  it('names file, line, column and key path of each problem, all at once', async () => {
    const text = ['version: 1', 'workflows: { schedule: [standards] }', 'modules:', '  standards:', '    repositories: [acme/x, nope]', '    tiers:', '      production:', '        process:', '          branch_protection: { required_reviews: 9 }', '          required_workflows: [ci.yml]', '      gold: {}', ''].join('\n');
    expect(await problems(text)).toEqual([
      'policy.yaml:5:28 modules.standards.repositories[1]: expected "owner/name"',
      'policy.yaml:9:50 modules.standards.tiers.production.process.branch_protection.required_reviews: too large: expected at most 6, got 9',
      expect.stringMatching(/^policy\.yaml:11:7 modules\.standards\.tiers(\.gold)?: unknown key "gold"/),
    ]);
  });

  it('checks workflow paths semantically', async () => {
    const text = ['version: 1', 'workflows: { schedule: [standards] }', 'modules:', '  standards:', '    tiers:', '      internal:', '        process:', '          required_workflows: [ci.yml]', ''].join('\n');
    expect(await problems(text)).toEqual(['policy.yaml:8:32 modules.standards.tiers.internal.process.required_workflows[0]: expected a workflow path such as ".github/workflows/ci.yml", got "ci.yml"']);
  });
});

describe('repo-metadata.yaml', () => {
  it('reads a valid file', () => {
    expect(parseRepoMetadata('tier: production\nstatus: deprecated\nteam: core\n')).toEqual({ metadata: { tier: 'production', status: 'deprecated', team: 'core' }, problems: [] });
  });
  it('gives every problem a line and column, never throws', () => {
    // project is not a key: the project is the repository's name, never one it claims.
    expect(parseRepoMetadata('tier: production\nstatus: active\nproject: payments\n').problems.map((p) => p.message)).toEqual(['project: unknown key (keys are tier, status, team)']);
    expect(parseRepoMetadata('tier: production\nstatus: retired\ncolour: red\n').problems).toEqual([
      { file: 'repo-metadata.yaml', line: 2, col: 9, message: 'status: expected "active" or "pre-release" or "deprecated", got "retired"' },
      { file: 'repo-metadata.yaml', line: 3, col: 1, message: 'colour: unknown key (keys are tier, status, team)' },
    ]);
    expect(parseRepoMetadata('tier: [production\n').problems[0]).toMatchObject({ file: 'repo-metadata.yaml', line: 2 });
    expect(parseRepoMetadata('').problems.map((p) => p.message)).toEqual(['tier: is required (expected "production" or "internal" or "prototype")', 'status: is required (expected "active" or "pre-release" or "deprecated")']);
  });
});

describe('check.toml', () => {
  const toml = '[extends]\nregistry = "github:acme/standards"\nrulesets = ["base-production", "typescript-internal"]\n\n[process.repo]\nenabled = true\nrequire_codeowners = true\n\n[process.repo.branch_protection]\nbranch = "main"\nrequired_reviews = 3\nrequire_status_checks = ["test"]\nrequire_code_owner_reviews = true\n\n[process.ci]\nenabled = true\nrequire_workflows = ["ci.yml"]\n\n[process.hooks]\nenabled = false\nrequire_husky = true\n\n[process.tickets]\npattern = "^ABC-"\n';

  it('maps the process keys it can check and names those it cannot', () => {
    const parsed = parseCheckToml(toml, 'production');
    expect(parsed.process).toEqual({ codeowners: true, branch_protection: { required_reviews: 3, required_status_checks: ['test'] }, required_workflows: ['.github/workflows/ci.yml'] });
    expect(parsed.unmapped).toEqual(['process.repo.branch_protection.branch', 'process.repo.branch_protection.require_code_owner_reviews', 'process.tickets.pattern']);
  });

  it('a production repository extends only *-production rulesets', () => {
    expect(parseCheckToml(toml, 'production').problems).toEqual([{ file: 'check.toml', line: 3, col: 1, message: '[extends] rulesets "typescript-internal" do not match tier production: expected only rulesets named *-production' }]);
    expect(parseCheckToml('[extends]\nrulesets = ["x-production"]\n', 'internal').problems.map((p) => p.message)).toEqual(['[extends] rulesets "x-production" do not match tier internal: expected rulesets for internal (named *-internal) or for no tier']);
    expect(parseCheckToml('[extends]\nrulesets = ["typescript"]\n', 'internal').problems).toEqual([]);
  });

  it('invalid TOML is a finding with its position', () => {
    expect(parseCheckToml('[process.repo\nenabled = true\n', 'internal').problems).toEqual([{ file: 'check.toml', line: 1, col: 14, message: 'not valid TOML: Invalid TOML document: illegal character in key' }]);
  });

  it('adds to the tier standard, the stricter value winning', () => {
    const tier = ProcessStandard.parse({ branch_protection: { required_reviews: 2, required_status_checks: ['ci'], enforce_admins: true }, required_labels: ['security'] });
    expect(mergeProcess(tier, parseCheckToml(toml, 'production').process)).toEqual({ branch_protection: { required_reviews: 3, required_status_checks: ['ci', 'test'], dismiss_stale_reviews: false, enforce_admins: true }, codeowners: true, required_workflows: ['.github/workflows/ci.yml'], required_labels: ['security'] });
  });
});

describe('process standard against what GitHub answers', () => {
  const expected = ProcessStandard.parse({ branch_protection: { required_reviews: 2, required_status_checks: ['ci', 'lint'], dismiss_stale_reviews: true, enforce_admins: true }, codeowners: true, required_workflows: ['.github/workflows/ci.yml'], required_labels: ['Security'] });
  const actual: ProcessActual = { protection: { requiredReviews: 1, dismissStaleReviews: false, enforceAdmins: false, statusChecks: ['ci'] }, protectionSource: 'classic', codeownersPath: 'CODEOWNERS', codeownersErrors: [{ line: 3, column: 9, kind: 'Unknown owner', message: 'Unknown owner on line 3' }], workflows: { '.github/workflows/ci.yml': false }, labels: ['security'] };

  it('names each setting with expected and actual', () => {
    expect(compareProcess(expected, actual, 'main').map((f) => [f.rule, f.expected, f.actual, f.file, f.line, f.col])).toEqual([
      ['process.required-reviews', '>= 2', '1', undefined, undefined, undefined],
      ['process.status-checks', 'ci, lint', 'ci', undefined, undefined, undefined],
      ['process.dismiss-stale-reviews', 'on', 'off', undefined, undefined, undefined],
      ['process.enforce-admins', 'on', 'off', undefined, undefined, undefined],
      ['process.codeowners-error', 'valid', 'Unknown owner', 'CODEOWNERS', 3, 9],
      ['process.workflow-missing', 'present', 'absent', '.github/workflows/ci.yml', undefined, undefined],
    ]);
  });

  it('protection off is one finding, not one per setting', () => {
    expect(compareProcess(expected, { ...actual, protection: undefined, codeownersPath: undefined, workflows: {} }, 'main').map((f) => f.rule)).toEqual(['process.branch-protection', 'process.codeowners-missing']);
  });
});

describe('issues', () => {
  const repo = { owner: 'acme', name: 'svc', fullName: 'acme/svc', defaultBranch: 'main', archived: false };
  const finding = { domain: 'process' as const, rule: 'process.label-missing', setting: 'required label', expected: 'security', actual: 'absent', message: 'label security does not exist' };
  const body = issueBody(repo, 'process', [finding], { head: 'a'.repeat(40) });
  const mine = (b: string, author = 'github-actions[bot]'): RepoIssue => ({ number: 4, title: 't', body: b, state: 'open', labels: ['drift:process'], author });
  const options = { identity: 'github-actions[bot]', closeResolved: false, body };

  it('opens one, leaves it when nothing changed, updates it in place when findings change', () => {
    expect(planIssue(repo, 'process', [finding], [], options).map((o) => o.kind)).toEqual(['open issue']);
    expect(planIssue(repo, 'process', [finding], [mine(body)], options)).toEqual([]);
    const other = { ...finding, expected: 'audit' };
    expect(planIssue(repo, 'process', [other], [mine(body)], { ...options, body: issueBody(repo, 'process', [other], { head: 'b'.repeat(40) }) }).map((o) => [o.kind, o.writes.map((w) => `${w.method} ${w.path}`)])).toEqual([['update issue', ['PATCH /repos/acme/svc/issues/4']]]);
  });

  it('never adopts an issue someone else opened with the label, nor a drift-module issue with the same label', () => {
    expect(planIssue(repo, 'process', [finding], [mine(body, 'mallory')], options).map((o) => o.kind)).toEqual(['open issue']);
    expect(planIssue(repo, 'process', [], [mine(body, 'mallory')], options)).toEqual([]);
    const driftIssue = { ...mine('<!-- driftguard:drift 0123456789abcdef -->\nTerraform drift'), labels: ['drift', 'drift:infra'] };
    const infra = { domain: 'infra' as const, rule: 'infra.deprecated-resource', message: 'left' };
    expect(planIssue(repo, 'infra', [infra], [driftIssue], options).map((o) => o.kind)).toEqual(['open issue']);
    expect(planIssue(repo, 'infra', [], [driftIssue], options)).toEqual([]);
  });

  it('comments once when resolved, closes only when the policy says so; code issues are left to the team', () => {
    const ops = planIssue(repo, 'process', [], [mine(body)], options);
    expect(ops.map((o) => o.kind)).toEqual(['comment resolved']);
    const resolved = ops[0]!.writes[1]!.body.body as string;
    expect(planIssue(repo, 'process', [], [mine(resolved)], options)).toEqual([]);
    expect(planIssue(repo, 'process', [], [mine(body)], { ...options, closeResolved: true }).map((o) => o.kind)).toEqual(['comment resolved', 'close issue']);
    expect(planIssue(repo, 'code', [], [{ ...mine(body), labels: ['drift:code'] }], options)).toEqual([]);
  });

  it('renders repository text inert: no mention, no HTML, no fence escape', () => {
    const hostile = issueBody(repo, 'code', [
      { domain: 'code', rule: 'code.standard-file-changed', file: '<img src=x>.json', actual: 'modified', message: 'changed', diff: '+```\n+<script>@all</script>\u202e', commits: ['c'.repeat(40)] },
      { domain: 'code', rule: 'code.history-rewritten', setting: 'a|b', message: '@admin see #1 <b>x</b>' },
    ], { head: 'a'.repeat(40) });
    expect(hostile).not.toMatch(/@admin/);
    expect(hostile).toContain('@&#8203;admin see #&#8203;1 \\<b\\>x\\<\\/b\\>');
    expect(hostile).toContain('`a\\|b`');
    // Names in code spans, the diff in a fence longer than any backtick run inside it.
    expect(hostile).toContain('### `<img src=x>.json`');
    expect(hostile).toContain('\\u{202e}');
    expect(hostile).toMatch(/````diff\n\+```\n/);
  });

  it('the digest ignores notices and order', () => {
    const notice = { domain: 'process' as const, rule: 'check-toml.unmapped', message: 'x', notice: true };
    expect(findingsDigest([finding, notice])).toBe(findingsDigest([finding]));
  });
});

describe('ledger and shards', () => {
  it('round-trips and refuses entries that are not commit SHAs', () => {
    const at = '2026-11-30T00:00:00.000Z';
    const body = ledgerBody('0/2', new Map([['acme/a', { sha: 'a'.repeat(40), at: 'older' }], ['acme/b', { sha: 'b'.repeat(40), at }]]), at);
    expect([...parseLedgerBody(body)]).toEqual([['acme/a', { sha: 'a'.repeat(40), at }], ['acme/b', { sha: 'b'.repeat(40), at }]]);
    expect([...parseLedgerBody('```json\n{"version":2,"at":"x","repos":{"acme/a":"main"}}\n```')]).toEqual([]);
    expect([...parseLedgerBody('no block')]).toEqual([]);
  });

  it('one ledger issue holds about 900 repositories of GitHub\'s 65,536-character body', () => {
    const entries = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`acme/service-${String(i).padStart(4, '0')}`, { sha: 'f'.repeat(40), at: 'x' }]));
    expect(ledgerBody('0/1', entries(900), '2026-11-30T00:00:00.000Z').length).toBeLessThan(ISSUE_BODY_MAX);
    expect(ledgerBody('0/1', entries(1100), '2026-11-30T00:00:00.000Z').length).toBeGreaterThan(ISSUE_BODY_MAX);
  });

  it('puts every repository in exactly one shard', () => {
    const names = Array.from({ length: 200 }, (_, i) => `acme/repo-${i}`);
    const shards = [0, 1, 2].map((i) => names.filter((n) => inShard(n, parseShard(`${i}/3`))));
    expect(shards.flat().sort()).toEqual([...names].sort());
    expect(shards.every((s) => s.length > 40)).toBe(true);
    expect(() => parseShard('3/3')).toThrow(/0 <= i < n/);
  });
});

describe('Terraform state for orphans', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-state-'));
  it('reads ARNs from `terraform state pull` and from `terraform show -json`, and says when there is no file', async () => {
    const pulled = join(dir, 'pulled.json');
    writeFileSync(pulled, JSON.stringify({ version: 4, resources: [{ mode: 'managed', type: 'aws_s3_bucket', name: 'a', instances: [{ attributes: { id: 'a', arn: 'arn:aws:s3:::a' } }] }, { mode: 'data', type: 'aws_iam_policy_document', name: 'p', instances: [{ attributes: { json: '{}' } }] }] }));
    const shown = join(dir, 'shown.json');
    writeFileSync(shown, JSON.stringify({ values: { root_module: { resources: [{ values: { arn: 'arn:aws:ec2:us-east-1:1:instance/i-1' } }], child_modules: [{ resources: [{ values: { arn: 'arn:aws:s3:::b' } }] }] } } }));
    expect([...(await stateArns(pulled))!]).toEqual(['arn:aws:s3:::a']);
    expect([...(await stateArns(shown))!].sort()).toEqual(['arn:aws:ec2:us-east-1:1:instance/i-1', 'arn:aws:s3:::b']);
    expect(await stateArns(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(join(dir, 'bad.json'), 'not json');
    await expect(stateArns(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not JSON/);
  });

  it('an orphan is a tagged resource the state does not hold', () => {
    expect(orphans('shop', 'project', 'eu-west-1', 'states/shop.json', ['arn:aws:s3:::a', 'arn:aws:s3:::b'], new Set(['arn:aws:s3:::a'])).map((f) => f.actual)).toEqual(['arn:aws:s3:::b']);
  });
});

describe('ETag cache', () => {
  it('revalidates with If-None-Match, answers a 304 from the cache, and drops entries idle past the limit', async () => {
    const seen: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      seen.push(req.headers['if-none-match'] as string | undefined);
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"', link: '<http://x/?page=2>; rel="next"' });
      res.end(JSON.stringify({ n: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const file = join(mkdtempSync(join(tmpdir(), 'dg-etag-')), 'etags.json');
    let clock = 1_000_000;
    const cache = new EtagCache(file, () => clock, 1000);
    const get = cache.wrap(fetch);
    const first = await get(`${url}/a`, { headers: { accept: 'application/json' } });
    const again = await get(`${url}/a`, { headers: { accept: 'application/json' } });
    expect([first.status, again.status, again.url, again.headers.get('link')]).toEqual([200, 200, `${url}/a`, '<http://x/?page=2>; rel="next"']);
    expect(await again.json()).toEqual({ n: '/a' });
    expect(seen).toEqual([undefined, '"v1"']);
    expect(cache.stats).toEqual({ requests: 2, notModified: 1 });
    await get(`${url}/b`);
    await cache.save();
    const reloaded = new EtagCache(file, () => clock, 1000);
    await reloaded.load();
    expect(reloaded.size).toBe(2);
    clock += 2000;
    await reloaded.save();
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries)).toEqual([]);
    server.close();
  });
});
