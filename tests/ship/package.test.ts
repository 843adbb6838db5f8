import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_NAME } from '../../src/package-root.ts';

// The npm package as a user gets it: `npm pack`, then installed into a scratch repository from
// npm's cache alone (--offline: the tests touch no network), then run through npx.
interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  engines?: { node?: string } | string[];
  [key: string]: unknown;
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string; engines: { node: string }; dependencies: Record<string, string>; bin: Record<string, string>; license: string };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
let work: string;
let tarball: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dg-package-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  tarball = join(work, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
}, 120_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('has a scoped name, so npx cannot pick up someone else\'s driftguard', () => {
    expect(pkg.name).toBe(PACKAGE_NAME);
    expect(pkg.name).toMatch(/^@[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(pkg.bin).toEqual({ driftguard: 'bin/driftguard.js' });
  });

  it('declares engines truthfully: every locked dependency installs on the oldest Node it names, and this one is in range', () => {
    const oldest = semver.minVersion(pkg.engines.node)!;
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    const refused = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !Array.isArray(entry.engines) && entry.engines?.node && !semver.satisfies(oldest, entry.engines.node))
      .map(([path, entry]) => `${path} needs node ${(entry.engines as { node: string }).node}`);
    expect(refused).toEqual([]);
  });

  it('holds the built CLI, the demo and the schema, and none of the sources or tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const needed of ['package/bin/driftguard.js', 'package/bin/code-cache.js', 'package/dist/cli.cjs', 'package/policy.schema.json', 'package/examples/doc-sync-demo/policy.yaml', 'package/package.json', 'package/README.md']) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^package\/(src|tests|modules|bench|eval)\//.test(f))).toEqual([]);
  });

  it('installs offline into a scratch repository and runs the PR check with npx', () => {
    const app = join(work, 'app');
    mkdirSync(app);
    const spec = `file:${tarball}`;
    // The scratch project's lock is the project's own, production part, with the tarball at the
    // root: npm ci then needs nothing that is not already in npm's cache.
    const packages: Record<string, LockEntry> = {
      '': { name: 'scratch', version: '1.0.0', dependencies: { [pkg.name]: spec } },
      [`node_modules/${pkg.name}`]: {
        version: pkg.version,
        resolved: spec,
        integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
    };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev) continue;
      const { devOptional, ...rest } = entry;
      packages[path] = devOptional ? { ...rest, optional: true } : rest;
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, dependencies: { [pkg.name]: spec } }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', lockfileVersion: lock.lockfileVersion, requires: true, packages }));
    const install = spawnSync('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toContain('EBADENGINE');

    // A repository of the user's: main, and a branch that reads a variable the docs do not name.
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: app, stdio: 'ignore' });
    writeFileSync(join(app, '.gitignore'), 'node_modules/\n.artifacts/\n');
    writeFileSync(join(app, 'README.md'), '# app\n\nSet `PORT`.\n');
    writeFileSync(join(app, 'policy.yaml'), 'version: 1\nworkflows:\n  pr_opened: [doc_sync]\nmodules:\n  doc_sync:\n    ai: { enabled: false }\n');
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'server.js'), 'export const port = process.env.PORT;\n');
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'feature');
    writeFileSync(join(app, 'src', 'server.js'), 'export const port = process.env.PORT;\nexport const region = process.env.APP_REGION;\n');
    writeFileSync(join(app, 'deploy.sh'), '#!/bin/sh\necho "${DEPLOY_TARGET:-staging}"\n');
    git('add', '.');
    git('commit', '-qm', 'region');
    const run = spawnSync('npx', ['--offline', 'driftguard', 'run', '--event', 'pr_opened', '--dry-run'], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, npm_config_update_notifier: 'false' } });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('src/server.js:2  APP_REGION: new environment variable APP_REGION is not mentioned in the docs');
    expect(run.stdout).toContain('deploy.sh:2  DEPLOY_TARGET: new environment variable DEPLOY_TARGET');
    expect(run.stdout).not.toContain('PORT:');
  }, 300_000);
});
