import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logSettings, useColor } from '../cli/commands/shared.ts';
import { DECISIONS_LOGGED } from '../src/engine.ts';
import { COMMANDS } from '../cli/main.ts';
import { runCli } from './helpers/cli.ts';
import { TestRepo } from './helpers/git-repo.ts';

const POLICY = `version: 1
audit: { dir: audit }
workflows:
  pr_opened: [doc_sync]
modules:
  doc_sync:
    ai: { enabled: false }
`;

const repos: TestRepo[] = [];
afterAll(() => repos.forEach((r) => r.remove()));

/** A repository whose branch adds one undocumented read, with the policy at its root. */
function repoWithChange(): TestRepo {
  const { repo } = TestRepo.withChange({ 'README.md': '# x\n', 'policy.yaml': POLICY }, { 'src/a.js': 'module.exports = process.env.NEW_THING;\n' });
  repos.push(repo);
  return repo;
}

describe('a CLI that reads well on a terminal and in CI', () => {
  it('every option a command takes is in its --help, with what it does', async () => {
    for (const [name, spec] of Object.entries(COMMANDS)) {
      const { code, stdout } = await runCli([name, '--help']);
      expect(code, name).toBe(0);
      for (const [option, config] of Object.entries(spec.options)) {
        const line = stdout.split('\n').find((l) => l.includes(`--${option}`) && /^\s+(-\w, )?--/.test(l));
        expect(line, `${name} --${option}`).toBeDefined();
        if (config.short) expect(line, `${name} -${config.short}`).toContain(`-${config.short}, --${option}`);
        expect(line!.replace(/^\s+(-\w, )?--\S+( \S+)?\s+/, '').length, `${name} --${option} has a description`).toBeGreaterThan(5);
      }
    }
  });

  it('an unknown log level or format is bad usage (exit 2) that lists the levels, from the flag or the environment', async () => {
    const repo = repoWithChange();
    const flag = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--log-level', 'loud'], { cwd: repo.dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('driftguard: --log-level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"\n');
    const env = await runCli(['validate'], { cwd: repo.dir, env: { DRIFTGUARD_LOG_LEVEL: 'verbose' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('DRIFTGUARD_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"');
    const format = await runCli(['validate', '--log-format', 'xml'], { cwd: repo.dir });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--log-format must be one of pretty, json, got "xml"');
  });

  it('human log lines at warn and above on a terminal, JSON lines at the policy level in CI, errors only with --quiet', () => {
    const args = (values: Record<string, string | boolean>) => ({ values, positionals: [] });
    expect(logSettings(args({}), {}, 'info', true)).toEqual({ level: 'warn', pretty: true });
    expect(logSettings(args({}), { CI: 'true' }, 'info', true)).toEqual({ level: 'info', pretty: false });
    expect(logSettings(args({}), { GITHUB_ACTIONS: 'true' }, 'debug', true)).toEqual({ level: 'debug', pretty: false });
    expect(logSettings(args({}), {}, 'info', false)).toEqual({ level: 'info', pretty: false });
    expect(logSettings(args({ quiet: true }), {}, 'info', true)).toEqual({ level: 'error', pretty: true });
    expect(logSettings(args({ 'log-format': 'json' }), {}, undefined, true)).toEqual({ level: 'info', pretty: false });
    expect(logSettings(args({ 'log-level': 'debug', quiet: true }), {}, 'info', true)).toEqual({ level: 'debug', pretty: true });
    expect(logSettings(args({}), { DRIFTGUARD_LOG_FORMAT: 'pretty', DRIFTGUARD_LOG_LEVEL: 'trace' }, 'info', false)).toEqual({ level: 'trace', pretty: true });
  });

  it('colour on a terminal only, never with NO_COLOR, always with FORCE_COLOR', async () => {
    expect(useColor({}, true)).toBe(true);
    expect(useColor({}, false)).toBe(false);
    expect(useColor({ TERM: 'dumb' }, true)).toBe(false);
    expect(useColor({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(useColor({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(useColor({ FORCE_COLOR: '0' }, true)).toBe(false);
    const repo = repoWithChange();
    const plain = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run'], { cwd: repo.dir });
    expect(plain.stdout).not.toContain('\x1b[');
    const forced = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run'], { cwd: repo.dir, env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\x1b[31mFAIL \x1b[0m doc_sync (blocks)');
    expect(forced.stdout).toContain('Result: \x1b[31mBLOCKED\x1b[0m (exit 1)');
    // Without the colour codes, the same report.
    expect(forced.stdout.replace(/\x1b\[\d+m/g, '').replace(/\[\d+ ms\]|driftguard-pr_opened-\S+/g, '')).toBe(plain.stdout.replace(/\[\d+ ms\]|driftguard-pr_opened-\S+/g, ''));
  });

  it('--quiet prints the verdict line alone, and a 10,000-read change logs a handful of lines, not one per decision', async () => {
    const { repo } = TestRepo.withChange({ 'README.md': '# x\n', 'policy.yaml': POLICY }, { 'src/many.js': `module.exports = [\n${Array.from({ length: 10_000 }, (_, i) => `  process.env.NEW_SETTING_${i},`).join('\n')}\n];\n` });
    repos.push(repo);
    const quiet = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--quiet'], { cwd: repo.dir });
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe('Result: BLOCKED (exit 1): blocked by doc_sync\n');
    expect(quiet.stderr).toBe('');
    const ci = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run'], { cwd: repo.dir, env: { CI: 'true' } });
    const lines = ci.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeLessThan(DECISIONS_LOGGED + 10);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const step = lines.map((l) => JSON.parse(l) as { msg: string; decisions?: Record<string, number>; decisionsAtDebug?: number }).find((l) => l.decisions);
    expect(step).toMatchObject({ decisions: { undocumented: 10_000 }, decisionsAtDebug: 10_000 - DECISIONS_LOGGED });
  }, 60_000);

  it('finds the policy from a subfolder up to the repository root, names it, and runs from its folder', async () => {
    const repo = repoWithChange();
    const deep = join(repo.dir, 'src', 'deeper');
    mkdirSync(deep, { recursive: true });
    const validate = await runCli(['validate'], { cwd: deep });
    expect(validate.code).toBe(0);
    expect(validate.stderr).toBe(`driftguard: using the policy ${join(repo.dir, 'policy.yaml')} (running from ${repo.dir})\n`);
    const run = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run'], { cwd: deep });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('src/a.js:1  NEW_THING: new environment variable NEW_THING is not mentioned in the docs (searched README.md)');
    expect(readdirSync(join(repo.dir, 'audit')).length).toBe(1);
    expect(existsSync(join(deep, 'audit'))).toBe(false);
    // Not above the repository root: a policy.yaml outside it is never picked up.
    const outside = TestRepo.withChange({ 'README.md': '# x\n' }, { 'b.js': 'process.env.B\n' }).repo;
    repos.push(outside);
    const none = await runCli(['validate'], { cwd: outside.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no policy.yaml in');
    expect(none.stderr).toContain('driftguard init');
  });

  it('a path the user gave is shown inert in an error: no terminal escape reaches the screen', async () => {
    const repo = repoWithChange();
    const { code, stderr } = await runCli(['validate', join(repo.dir, 'e\x1b[2Jvil\u202Ex.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('vil');
    expect(stderr).not.toMatch(/[\x1b\u202E]/);
  });

  it('a file whose name holds a line break is read like any other, and named inert', async () => {
    const { repo } = TestRepo.withChange({ 'README.md': '# x\n', 'policy.yaml': POLICY }, { 'nl\nname.sh': 'echo "$HIDDEN_NL"\n', 'c\rr.sh': 'echo "$HIDDEN_CR"\n', 'ok.sh': 'echo "$PLAIN_OK"\n' });
    repos.push(repo);
    const run = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run'], { cwd: repo.dir });
    expect(run.code).toBe(1);
    for (const name of ['HIDDEN_NL', 'HIDDEN_CR', 'PLAIN_OK']) expect(run.stdout).toContain(`${name}: new environment variable ${name}`);
    // Every finding is one line: the line breaks in the names are shown, not printed.
    expect(run.stdout.split('\n').filter((l) => l.includes('new environment variable')).length).toBe(3);
  });

  it('validate takes the policy file as an argument, once', async () => {
    const repo = repoWithChange();
    const file = join(repo.dir, 'other.yaml');
    writeFileSync(file, POLICY);
    const ok = await runCli(['validate', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${file}: valid policy`));
    expect((await runCli(['validate', file, '--policy', file])).stderr).toContain('give the policy file once');
    expect((await runCli(['validate', file, file])).code).toBe(2);
  });

  it('a local check with nothing to compare says so in one line', async () => {
    const repo = repoWithChange();
    const same = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--head', 'main'], { cwd: repo.dir });
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^driftguard: nothing to compare: main \([0-9a-f]{12}\) adds no commits to main; .*\n$/);
    // --format json stays one parseable JSON document.
    const json = await runCli(['run', '--event', 'pr_opened', '--base', 'main', '--head', 'main', '--format', 'json'], { cwd: repo.dir });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { outcome: string; exitCode: number; base: string; head: string; message: string };
    expect(parsed).toMatchObject({ outcome: 'nothing_to_compare', exitCode: 0 });
    expect(parsed.base).toBe(parsed.head);
    expect(parsed.message).toMatch(/^nothing to compare: main /);
  });

  it('graph draws every state a run can reach, one labelled edge per outcome, and a fenced block for Markdown', async () => {
    const repo = repoWithChange();
    const { stdout } = await runCli(['graph', '--event', 'pr_opened'], { cwd: repo.dir });
    expect(stdout).toContain('state "overriding" as overriding');
    expect(stdout).toContain('pr_opened --> overriding: a step blocks');
    expect(stdout).toContain('pr_opened --> deciding: nothing blocks');
    expect(stdout).toContain('overriding --> deciding: done');
    expect(stdout).toContain('overriding --> deciding: error');
    expect(stdout).toContain('routing --> deciding: no workflow for the event');
    const unlabelled = stdout.split('\n').filter((l) => /-->/.test(l) && !/: \S/.test(l) && !/\[\*\]/.test(l));
    expect(unlabelled).toEqual(['  deciding --> reporting']);
    const md = await runCli(['graph', '--event', 'pr_opened', '--format', 'markdown'], { cwd: repo.dir });
    expect(md.stdout).toBe(`\`\`\`mermaid\n${stdout}\`\`\`\n`);
  });
});
