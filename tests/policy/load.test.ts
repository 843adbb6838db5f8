import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriftGuardError } from '../../src/errors.ts';
import { loadPolicy, parsePolicy } from '../../src/policy/load.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { testRegistry } from '../helpers/test-modules.ts';

async function problems(text: string, registry = REGISTRY): Promise<string[]> {
  try {
    await parsePolicy('policy.yaml', text, registry);
  } catch (err) {
    expect(err).toBeInstanceOf(DriftGuardError);
    expect((err as DriftGuardError).exitCode).toBe(2);
    return [...(err as DriftGuardError).details];
  }
  return [];
}

const dir = mkdtempSync(join(tmpdir(), 'dg-policy-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('policy loading', () => {
  it('accepts a minimal policy and fills in the defaults', async () => {
    const policy = await parsePolicy('policy.yaml', 'version: 1\n', REGISTRY);
    expect(policy.dry_run).toBe(true);
    expect(policy.audit.dir).toBe('.artifacts');
    expect(policy.modules.doc_sync?.on_fail).toBe('block');
    expect(policy.modules.doc_sync?.docs).toEqual(['README.md', 'docs/**/*.md']);
  });

  it('names file, line, column, key path and the expectation for a bad duration', async () => {
    const text = ['version: 1', 'modules:', '  doc_sync:', '    timeout: 24 hours', ''].join('\n');
    expect(await problems(text)).toEqual([
      'policy.yaml:4:14 modules.doc_sync.timeout: expected a duration like "24h", "90m", "1h30m" or "7d", got "24 hours"',
    ]);
  });

  it('rejects unknown keys with a suggestion, pointing at the key', async () => {
    const text = ['version: 1', 'dry_rn: true', 'modules:', '  doc_sync:', '    ai:', '      modle: x', ''].join('\n');
    expect(await problems(text)).toEqual([
      'policy.yaml:2:1 dry_rn: unknown key "dry_rn"; did you mean "dry_run"?',
      'policy.yaml:6:7 modules.doc_sync.ai.modle: unknown key "modle"; did you mean "model"?',
    ]);
  });

  it('reports every problem at once, syntax-level and semantic together, in file order', async () => {
    const text = [
      'version: 1',
      'dry_run: "yes"',
      'workflows:',
      '  pr_open: [doc_sync]',
      '  pr_opened: [doc_snyc, doc_sync, doc_sync]',
      '  schedule: [doc_sync]',
      '',
    ].join('\n');
    expect(await problems(text)).toEqual([
      'policy.yaml:2:10 dry_run: expected boolean, got "yes"',
      expect.stringMatching(/^policy\.yaml:4:3 workflows\.pr_open: unknown event "pr_open" \(did you mean "pr_opened"\?\)/),
      expect.stringMatching(/^policy\.yaml:5:15 workflows\.pr_opened\[0\]: step "doc_snyc" names no module \(did you mean "doc_sync"\?\); modules are doc_sync, cross_repo, override, janitor, drift, remediation(, [a-z_]+)*$/),
      'policy.yaml:5:35 workflows.pr_opened[2]: step "doc_sync" is listed twice in workflow "pr_opened"',
      'policy.yaml:6:14 workflows.schedule[0]: module "doc_sync" does not handle event "schedule"; it handles pr_opened, pr_synchronize, pr_reopened',
    ]);
  });

  it('runs module semantic rules: a ttl above max_ttl', async () => {
    const text = ['version: 1', 'modules:', '  expiry:', '    ttl: 8d', '    max_ttl: 7d', ''].join('\n');
    expect(await problems(text, testRegistry())).toEqual(['policy.yaml:4:10 modules.expiry.ttl: ttl 8d is above max_ttl 7d']);
  });

  it('refuses custom regexes the linear-time engine cannot run, and ones without a name group', async () => {
    const text = [
      'version: 1',
      'modules:',
      '  doc_sync:',
      '    rules:',
      '      - { id: backref, pattern: "(a+)\\\\1", paths: ["**"] }',
      '      - { id: lookahead, pattern: "(?=x)(y)", paths: ["**"] }',
      '      - { id: nogroup, pattern: "--[a-z]+", paths: ["**"] }',
      '      - { id: nested, pattern: "--((a+)+)$", paths: ["**"] }',
      '',
    ].join('\n');
    const found = await problems(text);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^policy\.yaml:5:\d+ modules\.doc_sync\.rules\[0\]\.pattern: pattern does not compile as a linear-time \(RE2\) regex/);
    expect(found[1]).toMatch(/rules\[1\]\.pattern: pattern does not compile/);
    expect(found[2]).toMatch(/rules\[2\]\.pattern: the pattern needs a capture group/);
  });

  it.each([
    ['tabs', 'version: 1\nworkflows:\n\tpr_opened: []\n', /policy\.yaml:3:1 Tabs are not allowed/],
    ['duplicate keys', 'version: 1\nversion: 1\n', /policy\.yaml:2:1 duplicate key "version" in \(top level\): each key may appear once in a mapping/],
    ['a duplicate key deep down, named with its path', 'version: 1\nmodules:\n  doc_sync:\n    on_fail: block\n    on_fail: warn\n', /policy\.yaml:5:5 duplicate key "on_fail" in modules\.doc_sync: each key may appear once/],
    ['two YAML documents', 'version: 1\n---\nversion: 1\n', /policy\.yaml:2:1 one YAML document expected: a second one starts here/],
    ['an invisible character in a key', 'version: 1\nmodules:\n  doc_sync:\n    on_\u200bfail: block\n', /policy\.yaml:4:5 modules\.doc_sync\.on_\\u\{200B\}fail: unknown key "on_\\u\{200B\}fail" \(it holds characters that cannot be seen, shown as \\u\{\.\.\.\}\); did you mean "on_fail"\?/],
    ['a number too large, said once with the setting\'s own limit', 'version: 1\nmodules:\n  janitor:\n    max_deletions: 99999999999999999999999\n', /^policy\.yaml:4:20 modules\.janitor\.max_deletions: too large: expected at most 100000, got 1e\+23$/],
    ['not YAML at all', '{{{{ ::: ]]\n', /policy\.yaml:1:\d+ /],
    ['an empty file', '', /the policy is empty/],
    ['only comments', '# nothing here\n', /the policy is empty/],
    ['a list', '- a\n- b\n', /expected a mapping starting with "version: 1", got a list/],
    ['a scalar', 'hello\n', /got string/],
    ['wrong version', 'version: 2\n', /policy\.yaml:1:10 version: expected 1, got 2/],
    ['missing version', 'dry_run: true\n', /policy\.yaml:1:1 version: is required/],
    ['wrong types', 'version: 1\nworkflows: [a]\n', /policy\.yaml:2:12 workflows: expected record, got a list|workflows: expected/],
  ])('gives a clear, located message for %s', async (_, text, pattern) => {
    const found = await problems(text);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(pattern);
  });

  it('bounds alias expansion (billion laughs)', async () => {
    const lines = ['version: 1', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    let prev = 'a';
    for (const name of ['b', 'c', 'd', 'e', 'f', 'g']) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
      prev = name;
    }
    const found = await problems(lines.join('\n'));
    expect(found.join('\n')).toMatch(/alias/i);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.yaml'), /no such file/],
    ['a directory', () => (mkdirSync(join(dir, 'adir'), { recursive: true }), join(dir, 'adir')), /is a directory/],
    ['a 50 MB file', () => file('big.yaml', Buffer.alloc(50 * 1024 * 1024, 'a')), /50\.0 MiB; a policy may be at most 1 MiB/],
    ['a binary file', () => file('bin.yaml', Buffer.from([0, 1, 2, 3, 0xff])), /not UTF-8|binary/],
  ])('refuses %s with exit code 2', async (_, make, pattern) => {
    const error = await loadPolicy(make(), REGISTRY).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DriftGuardError);
    const e = error as DriftGuardError;
    expect(e.exitCode).toBe(2);
    expect([e.message, ...e.details].join('\n')).toMatch(pattern);
  });

  it('records the sha256 of the policy bytes', async () => {
    const path = file('ok.yaml', 'version: 1\n');
    const loaded = await loadPolicy(path, REGISTRY);
    expect(loaded.hash).toBe('sha256:' + (await import('node:crypto')).createHash('sha256').update('version: 1\n').digest('hex'));
  });

  it('validates the policy shipped at the repository root and in the demo', async () => {
    await expect(loadPolicy('policy.yaml', REGISTRY)).resolves.toMatchObject({ policy: { version: 1 } });
    await expect(loadPolicy('examples/doc-sync-demo/policy.yaml', REGISTRY)).resolves.toMatchObject({ policy: { version: 1 } });
  });
});
