import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { docGlobs } from '../../cli/commands/init.ts';
import { runCli } from '../helpers/cli.ts';

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** A user's repository: README and docs/, Python and TypeScript code, one commit on main. */
function userRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dg-init-'));
  scratch.push(dir);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, stdio: 'ignore' });
  mkdirSync(join(dir, 'docs'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'README.md'), '# service\n\nSet `PORT`.\n');
  writeFileSync(join(dir, 'docs', 'config.md'), '# Configuration\n');
  writeFileSync(join(dir, 'CHANGELOG.md'), '# 1.0\n');
  writeFileSync(join(dir, 'src', 'app.ts'), 'export const port = process.env.PORT;\n');
  writeFileSync(join(dir, 'src', 'job.py'), 'import os\n');
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'base');
  return dir;
}

describe('driftguard init', () => {
  it('writes a commented policy fitted to the repository that validates, and the PR workflows pinned to this release', async () => {
    const dir = userRepo();
    const { code, stdout } = await runCli(['init'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('wrote policy.yaml\nwrote .github/workflows/driftguard-main.yml\nwrote .github/workflows/driftguard-publish.yml\n');
    const policy = readFileSync(join(dir, 'policy.yaml'), 'utf8');
    expect(policy).toMatch(/^# /m);
    expect(policy).toContain('Code seen here: JavaScript/TypeScript (1 file, parsed), Python (1 file, parsed).');
    expect(parse(policy).modules.doc_sync.docs).toEqual(['README.md', 'docs/**/*.md']);
    expect((await runCli(['validate'], { cwd: dir })).code).toBe(0);
    const main = readFileSync(join(dir, '.github', 'workflows', 'driftguard-main.yml'), 'utf8');
    expect(main).toContain(`uses: driftguard/driftguard@v${version}`);
    expect(main).not.toMatch(/driftguard\/driftguard@v\d+ /);
    expect(main.replace(/@v[\d.]+/g, '@v1')).toBe(readFileSync('.github/workflows/driftguard-main.yml', 'utf8'));
    expect(existsSync(join(dir, '.github', 'workflows', 'janitor-cron.yml'))).toBe(false);
    // The audit folder is run output: ignored once, and not again on a second init.
    expect(stdout).toContain('added .artifacts/ to .gitignore');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\.artifacts\/$/m);
    const again = await runCli(['init', '--force'], { cwd: dir });
    expect(again.stdout).not.toContain('.gitignore');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8').match(/\.artifacts\//g)).toHaveLength(1);
  });

  it('then a PR check runs on what it wrote', async () => {
    const dir = userRepo();
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'ignore' });
    git('add', '.');
    git('commit', '-qm', 'driftguard');
    git('checkout', '-qb', 'feature');
    writeFileSync(join(dir, 'src', 'app.ts'), 'export const port = process.env.PORT;\nexport const region = process.env.SERVICE_REGION;\n');
    git('commit', '-qam', 'region');
    const run = await runCli(['run', '--event', 'pr_opened', '--dry-run'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('src/app.ts:2  SERVICE_REGION: new environment variable SERVICE_REGION is not mentioned in the docs (searched README.md, docs/config.md)');
  });

  it('never overwrites without --force, and --dry-run writes nothing', async () => {
    const dir = userRepo();
    writeFileSync(join(dir, 'policy.yaml'), '# mine\nversion: 1\n');
    const dry = await runCli(['init', '--dry-run', '--workflows', 'pr,janitor,drift'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('--- policy.yaml (exists: would be left as it is; --force overwrites)');
    expect(dry.stdout).toContain('--- .github/workflows/janitor-cron.yml\n');
    expect(existsSync(join(dir, '.github'))).toBe(false);
    const refused = await runCli(['init'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('policy.yaml already exists');
    expect(refused.stderr).toContain('nothing was written');
    expect(readFileSync(join(dir, 'policy.yaml'), 'utf8')).toBe('# mine\nversion: 1\n');
    expect(existsSync(join(dir, '.github'))).toBe(false);
    const forced = await runCli(['init', '--force', '--workflows', 'pr,janitor,drift'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('overwrote policy.yaml');
    const written = parse(readFileSync(join(dir, 'policy.yaml'), 'utf8'));
    // The janitor deletes: with it, the policy starts in dry-run. Drift waits for its stacks.
    expect(written.dry_run).toBe(true);
    expect(written.workflows).toMatchObject({ schedule: ['janitor'] });
    expect(written.workflows.dispatch).toBeUndefined();
    expect(readFileSync(join(dir, 'policy.yaml'), 'utf8')).toContain('#   stacks:');
    expect((await runCli(['validate'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['init', '--workflows', 'pr,standards'], { cwd: dir })).stderr).toContain('--workflows takes pr, janitor, drift');
    expect((await runCli(['init', '--workflows', ''], { cwd: dir })).code).toBe(2);
  });

  it('searches the docs the repository has, README first, without changelogs: Markdown, reStructuredText, a Docs folder, package READMEs', () => {
    expect(docGlobs(['CONTRIBUTING.md', 'README.md', 'CHANGELOG.md', 'doc/a.md', 'src/x.ts'])).toEqual(['README.md', 'CONTRIBUTING.md', 'doc/**/*.md']);
    expect(docGlobs(['README.rst', 'docs/config.rst', 'docs/index.md', 'setup.py'])).toEqual(['README.rst', 'docs/**/*.{md,rst}']);
    expect(docGlobs(['README.md', 'Docs/a.mdx'])).toEqual(['README.md', 'Docs/**/*.mdx']);
    expect(docGlobs(['README.md', 'packages/a/README.md', 'packages/a/index.js'])).toEqual(['README.md', '**/README.md']);
    expect(docGlobs(['src/x.ts'])).toEqual(['README.md']);
  });

  it('writes at the repository root when run from a subfolder', async () => {
    const dir = userRepo();
    const { code, stdout } = await runCli(['init'], { cwd: join(dir, 'src') });
    expect(code).toBe(0);
    expect(stdout).toContain(`writing at the repository's root, ${dir}`);
    expect(existsSync(join(dir, 'policy.yaml'))).toBe(true);
    expect(existsSync(join(dir, '.github', 'workflows', 'driftguard-main.yml'))).toBe(true);
    expect(existsSync(join(dir, 'src', 'policy.yaml'))).toBe(false);
    // A root .gitignore that already ignores the audit folder is left alone, from a subfolder too.
    expect(existsSync(join(dir, 'src', '.gitignore'))).toBe(false);
    writeFileSync(join(dir, '.gitignore'), '/.artifacts\n');
    expect((await runCli(['init', '--force'], { cwd: join(dir, 'src') })).stdout).not.toContain('.gitignore');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('/.artifacts\n');
    // Only pull request checks: live, so the checks and the comment appear.
    expect(parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')).dry_run).toBe(false);
  });
});
