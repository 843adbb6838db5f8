import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/main.ts';
import { runCli } from '../helpers/cli.ts';

// bin/code-cache.js runs the CLI bundle with V8's code cache. Each load happens in a process of
// its own, because the cache is written when the process exits.
const LOADER = fileURLToPath(new URL('../../bin/code-cache.js', import.meta.url));
const POLICY = fileURLToPath(new URL('../../policy.yaml', import.meta.url));

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'dg-code-cache-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

interface Load {
  cache: string;
  value: unknown;
}

/**
 * Loads `file` through the loader in a new Node process that then exits with `exitCode`; the
 * environment is exactly `env` (plus PATH).
 */
function load(file: string, env: Record<string, string>, profile = 'test', exitCode = 0): Load {
  const script = `import { loadWithCodeCache } from ${JSON.stringify(LOADER)};
const r = loadWithCodeCache(${JSON.stringify(file)}, { profile: ${JSON.stringify(profile)} });
process.stdout.write(JSON.stringify({ cache: r.cache, value: r.exports.value() }));
process.exitCode = ${exitCode};`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });
  if (run.status !== exitCode) throw new Error(`loader failed (${run.status ?? run.signal}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Load;
}

/** A CommonJS module whose answer comes from a function compiled lazily, when first called. */
function writeModule(dir: string, answer: string): string {
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, `'use strict';\nfunction inner(x) { return x + ${JSON.stringify(answer)}; }\nmodule.exports = { value: () => inner('answer ') + ' from ' + require('node:path').basename(__filename) };\n`);
  return file;
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8'));

describe('V8 code cache of the bundle', () => {
  it('writes the cache on a first run, reads it on the next, and never rewrites a cache it used', () => {
    const file = writeModule(work, 'A');
    mkdirSync(join(work, 'home'));
    const env = { HOME: join(work, 'home') };
    const dir = join(work, 'home', '.cache', 'driftguard', 'v8');
    expect(load(file, env)).toEqual({ cache: 'miss', value: 'answer A from bundle.cjs' });
    const [written] = cacheFiles(dir);
    expect(written).toMatch(/^test-[0-9a-f]{32}\.v8$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, written!)).mode & 0o777).toBe(0o600);
    const before = statSync(join(dir, written!)).mtimeMs;
    expect(load(file, env)).toEqual({ cache: 'hit', value: 'answer A from bundle.cjs' });
    expect(statSync(join(dir, written!)).mtimeMs).toBe(before);
    expect(cacheFiles(dir)).toEqual([written]);
  });

  it('a rebuilt file of the same length never runs the old code: the key is the content', () => {
    const file = writeModule(work, 'A');
    const env = { HOME: work };
    const dir = join(work, '.cache', 'driftguard', 'v8');
    load(file, env);
    const [old] = cacheFiles(dir);
    writeModule(work, 'B'); // same length: V8 alone would accept the old cache
    expect(load(file, env)).toEqual({ cache: 'miss', value: 'answer B from bundle.cjs' });
    expect(cacheFiles(dir)).toHaveLength(2);
    expect(cacheFiles(dir)).toContain(old);
    expect(load(file, env)).toEqual({ cache: 'hit', value: 'answer B from bundle.cjs' });
  });

  it('a damaged cache file is rejected by V8, the code runs from source, and the cache is written anew', () => {
    const file = writeModule(work, 'A');
    const env = { HOME: work };
    const dir = join(work, '.cache', 'driftguard', 'v8');
    load(file, env);
    const [name] = cacheFiles(dir);
    const size = statSync(join(dir, name!)).size;
    writeFileSync(join(dir, name!), Buffer.alloc(size, 0x5a), { mode: 0o600 });
    expect(load(file, env)).toEqual({ cache: 'rejected', value: 'answer A from bundle.cjs' });
    expect(readFileSync(join(dir, name!)).equals(Buffer.alloc(size, 0x5a))).toBe(false);
    expect(load(file, env)).toEqual({ cache: 'hit', value: 'answer A from bundle.cjs' });
  });

  it('one flipped bit in a cache file is caught by its checksum: the code runs from source and the file is written anew', () => {
    const file = writeModule(work, 'A');
    const env = { HOME: work };
    const dir = join(work, '.cache', 'driftguard', 'v8');
    load(file, env);
    const [name] = cacheFiles(dir);
    const bytes = readFileSync(join(dir, name!));
    bytes[bytes.length - 100]! ^= 0x55; // V8 alone accepts this and crashes
    writeFileSync(join(dir, name!), bytes, { mode: 0o600 });
    expect(load(file, env)).toEqual({ cache: 'rejected', value: 'answer A from bundle.cjs' });
    expect(load(file, env)).toEqual({ cache: 'hit', value: 'answer A from bundle.cjs' });
  });

  it('two versions used in turns keep a cache each', () => {
    const one = join(work, 'one');
    const two = join(work, 'two');
    mkdirSync(one);
    mkdirSync(two);
    const env = { HOME: work };
    const first = writeModule(one, 'A');
    const second = writeModule(two, 'B');
    expect(load(first, env).cache).toBe('miss');
    expect(load(second, env).cache).toBe('miss');
    expect(load(first, env)).toEqual({ cache: 'hit', value: 'answer A from bundle.cjs' });
    expect(load(second, env)).toEqual({ cache: 'hit', value: 'answer B from bundle.cjs' });
    const dir = join(work, '.cache', 'driftguard', 'v8');
    expect(cacheFiles(dir)).toHaveLength(2);
    // Four files are kept per command: a fifth version drops the oldest.
    const names = [cacheFiles(dir)];
    for (const v of ['C', 'D', 'E']) {
      const vdir = join(work, v);
      mkdirSync(vdir);
      utimesSync(join(dir, cacheFiles(dir)[0]!), new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));
      load(writeModule(vdir, v), env);
      names.push(cacheFiles(dir));
    }
    expect(names.map((n) => n.length)).toEqual([2, 3, 4, 4]);
  });

  it('a run that ends with exit code 2 or 3 writes no cache; one that ends with 0 or 1 does', () => {
    const file = writeModule(work, 'A');
    const env = { HOME: work };
    const dir = join(work, '.cache', 'driftguard', 'v8');
    expect(load(file, env, 'test', 2).cache).toBe('miss');
    expect(load(file, env, 'test', 3).cache).toBe('miss');
    expect(cacheFiles(dir)).toEqual([]);
    expect(load(file, env, 'test', 1).cache).toBe('miss');
    expect(cacheFiles(dir)).toHaveLength(1);
  });

  it('a temporary file left by a killed run is removed by the next write', () => {
    const file = writeModule(work, 'A');
    const dir = join(work, '.cache', 'driftguard', 'v8');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stale = join(dir, '.test-0123.v8.99999.tmp');
    const fresh = join(dir, '.test-4567.v8.99998.tmp');
    writeFileSync(stale, 'x');
    writeFileSync(fresh, 'x');
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    load(file, { HOME: work });
    expect(readdirSync(dir).sort()).toEqual([fresh.split('/').pop(), ...cacheFiles(dir)].sort());
  });

  it('makes no home or cache base that is missing, and gives up at once where folders cannot be made', () => {
    const file = writeModule(work, 'A');
    expect(load(file, { HOME: join(work, 'nonexistent', 'home') }).cache).toBe('off');
    expect(existsSync(join(work, 'nonexistent'))).toBe(false);
    expect(load(file, { HOME: work, XDG_CACHE_HOME: join(work, 'no-such-parent', 'cache') }).cache).toBe('off');
    expect(existsSync(join(work, 'no-such-parent'))).toBe(false);
    // procfs answers ENOENT to mkdir: Node 20's recursive mkdir loops there forever.
    expect(load(file, { HOME: '/proc' }).cache).toBe('off');
    expect(load(file, { HOME: work, NODE_COMPILE_CACHE: '/proc/dg-cache' }).cache).toBe('off');
    // NODE_COMPILE_CACHE itself may be made, under a folder that exists.
    expect(load(file, { HOME: work, NODE_COMPILE_CACHE: join(work, 'node-cache') }).cache).toBe('miss');
    expect(cacheFiles(join(work, 'node-cache', 'driftguard'))).toHaveLength(1);
  });

  it('each profile keeps its own cache, even one whose name starts with another\'s', () => {
    const file = writeModule(work, 'A');
    const env = { HOME: work };
    load(file, env, 'run-pr');
    load(file, env, 'run');
    load(file, env, 'validate');
    expect(cacheFiles(join(work, '.cache', 'driftguard', 'v8')).map((f) => f.split('-').slice(0, -1).join('-')).sort()).toEqual(['run', 'run-pr', 'validate']);
    expect(load(file, env, 'run-pr').cache).toBe('hit');
    expect(load(file, env, 'run').cache).toBe('hit');
  });

  it("follows Node's own variables: NODE_DISABLE_COMPILE_CACHE turns it off, NODE_COMPILE_CACHE moves it; XDG_CACHE_HOME when absolute", () => {
    const file = writeModule(work, 'A');
    for (const home of ['h1', 'h2', 'h3', 'h4', 'h5']) mkdirSync(join(work, home));
    expect(load(file, { HOME: join(work, 'h1'), NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ cache: 'off', value: 'answer A from bundle.cjs' });
    expect(readdirSync(join(work, 'h1'))).toEqual([]);
    expect(load(file, { HOME: join(work, 'h2'), NODE_DISABLE_COMPILE_CACHE: '0' }).cache).toBe('miss');
    load(file, { HOME: join(work, 'h3'), NODE_COMPILE_CACHE: join(work, 'node-cache') });
    expect(cacheFiles(join(work, 'node-cache', 'driftguard'))).toHaveLength(1);
    load(file, { HOME: join(work, 'h4'), XDG_CACHE_HOME: join(work, 'xdg') });
    expect(cacheFiles(join(work, 'xdg', 'driftguard', 'v8'))).toHaveLength(1);
    // A relative XDG_CACHE_HOME is not a cache folder (the XDG rule): the home's .cache is used.
    load(file, { HOME: join(work, 'h5'), XDG_CACHE_HOME: 'relative' });
    expect(cacheFiles(join(work, 'h5', '.cache', 'driftguard', 'v8'))).toHaveLength(1);
  });

  it('on a GitHub-hosted runner (a new machine each job) a cache is read but never written', () => {
    const file = writeModule(work, 'A');
    const dir = join(work, '.cache', 'driftguard', 'v8');
    expect(load(file, { HOME: work, RUNNER_ENVIRONMENT: 'github-hosted' })).toEqual({ cache: 'miss', value: 'answer A from bundle.cjs' });
    expect(cacheFiles(dir)).toEqual([]);
    load(file, { HOME: work, RUNNER_ENVIRONMENT: 'self-hosted' });
    expect(cacheFiles(dir)).toHaveLength(1);
    expect(load(file, { HOME: work, RUNNER_ENVIRONMENT: 'github-hosted' }).cache).toBe('hit');
  });

  it('a folder others can write to, or a link, is not trusted: nothing is read or written there', () => {
    const file = writeModule(work, 'A');
    const open = join(work, 'open', 'driftguard', 'v8');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    expect(load(file, { HOME: work, XDG_CACHE_HOME: join(work, 'open') })).toEqual({ cache: 'off', value: 'answer A from bundle.cjs' });
    expect(cacheFiles(open)).toEqual([]);
    // A cache base writable by the user's group (umask 002) is fine; the folders below it are DriftGuard's.
    mkdirSync(join(work, 'group-base'), { mode: 0o775 });
    chmodSync(join(work, 'group-base'), 0o775);
    expect(load(file, { HOME: work, XDG_CACHE_HOME: join(work, 'group-base') }).cache).toBe('miss');
    chmodSync(join(work, 'group-base'), 0o777);
    expect(load(file, { HOME: work, XDG_CACHE_HOME: join(work, 'group-base') }).cache).toBe('off');

    const real = join(work, 'real');
    mkdirSync(real, { mode: 0o700 });
    mkdirSync(join(work, 'linked', 'driftguard'), { recursive: true });
    symlinkSync(real, join(work, 'linked', 'driftguard', 'v8'));
    expect(load(file, { HOME: work, XDG_CACHE_HOME: join(work, 'linked') }).cache).toBe('off');
    expect(cacheFiles(real)).toEqual([]);

    // A link higher up, in place of the driftguard folder, is refused too.
    mkdirSync(join(real, 'v8'), { mode: 0o700 });
    mkdirSync(join(work, 'parent-linked'));
    symlinkSync(real, join(work, 'parent-linked', 'driftguard'));
    expect(load(file, { HOME: work, XDG_CACHE_HOME: join(work, 'parent-linked') }).cache).toBe('off');
    expect(cacheFiles(join(real, 'v8'))).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)("a cache file owned by another user is never read", () => {
    const file = writeModule(work, 'A');
    const env = { HOME: work };
    const dir = join(work, '.cache', 'driftguard', 'v8');
    load(file, env);
    const [name] = cacheFiles(dir);
    chownSync(join(dir, name!), 4242, 4242);
    expect(load(file, env).cache).toBe('miss');
    expect(statSync(join(dir, name!)).uid).toBe(0);
  });
});

describe('the CLI through bin/driftguard.js', () => {
  it('keeps a cache per command it has, and none for a word that is not one', async () => {
    const { COMMAND_PROFILES } = (await import(LOADER)) as { COMMAND_PROFILES: string[] };
    expect([...COMMAND_PROFILES].sort()).toEqual(Object.keys(COMMANDS).sort());
    const env = { XDG_CACHE_HOME: join(work, 'cache') };
    for (const word of ['bogus-cmd', 'typo', 'runn']) expect((await runCli([word], { env })).code).toBe(2);
    expect(existsSync(join(work, 'cache', 'driftguard', 'v8')) ? cacheFiles(join(work, 'cache', 'driftguard', 'v8')) : []).toEqual([]);
    expect((await runCli(['--version'], { env })).code).toBe(0);
    expect(cacheFiles(join(work, 'cache', 'driftguard', 'v8'))).toEqual([expect.stringMatching(/^other-[0-9a-f]{32}\.v8$/)]);
  }, 60_000);

  it('caches each command once, answers the same with and without the cache, and leaves a used cache alone', async () => {
    const env = { XDG_CACHE_HOME: join(work, 'cache') };
    const dir = join(work, 'cache', 'driftguard', 'v8');
    const first = await runCli(['validate', '--policy', POLICY], { env });
    expect(first.code).toBe(0);
    const [name] = cacheFiles(dir);
    expect(name).toMatch(/^validate-[0-9a-f]{32}\.v8$/);
    const mtime = statSync(join(dir, name!)).mtimeMs;
    const second = await runCli(['validate', '--policy', POLICY], { env });
    const off = await runCli(['validate', '--policy', POLICY], { env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(second).toEqual(first);
    expect(off).toEqual(first);
    expect(statSync(join(dir, name!)).mtimeMs).toBe(mtime);
    expect(cacheFiles(dir)).toEqual([name]);
    // A command's user error is the same whether its code came from the cache or not.
    const bad = await runCli(['validate', '--policy', join(work, 'missing.yaml')], { env });
    const badAgain = await runCli(['validate', '--policy', join(work, 'missing.yaml')], { env });
    expect(bad.code).toBe(2);
    expect(badAgain).toEqual(bad);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a pull request check that loads packages on demand (the shell grammar) gives the same findings from the cache', async () => {
    const env = { XDG_CACHE_HOME: join(work, 'cache'), GEMINI_API_KEY: '' };
    const repo = join(work, 'repo');
    expect((await runCli(['demo', '--dir', repo], { env: { NODE_DISABLE_COMPILE_CACHE: '1' } })).code).toBe(0);
    mkdirSync(join(repo, 'scripts'));
    writeFileSync(join(repo, 'scripts', 'deploy.sh'), '#!/bin/sh\necho "deploying to ${DEPLOY_TARGET_ZONE:-eu}"\n');
    const git = (...args: string[]) => expect(spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).status).toBe(0);
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'deploy script');
    const check = (extra: Record<string, string> = {}) => runCli(['run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo, env: { ...env, ...extra } });
    const findings = (r: { stdout: string }) => JSON.stringify((JSON.parse(r.stdout) as { steps: { findings: unknown[] }[] }).steps.map((s) => s.findings));
    const first = await check();
    expect(cacheFiles(join(work, 'cache', 'driftguard', 'v8'))).toEqual([expect.stringMatching(/^run-pr-/)]);
    const cached = await check();
    const off = await check({ NODE_DISABLE_COMPILE_CACHE: '1' });
    for (const r of [first, cached, off]) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain('DEPLOY_TARGET_ZONE');
      expect(r.stdout).toContain('RETRY_BUDGET_MS');
    }
    expect(findings(cached)).toBe(findings(first));
    expect(findings(off)).toBe(findings(first));
  }, 90_000);
});
