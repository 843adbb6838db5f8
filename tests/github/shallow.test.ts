import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { prPayload, runInActions } from '../helpers/github-run.ts';

const POLICY = 'version: 1\ndry_run: true\nworkflows:\n  pr_synchronize: [doc_sync]\nmodules:\n  doc_sync:\n    ai: { enabled: false }\n';

let server: GitHubServer;
let repo: TestRepo;
let shallow: string;
let base: string;
let head: string;

beforeEach(async () => {
  server = await new GitHubServer().start();
  ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# app\nUses `KNOWN_VAR`.\n', 'policy.yaml': POLICY, 'src/a.ts': 'export const k = process.env.KNOWN_VAR;\n' }, { 'src/a.ts': 'export const k = process.env.KNOWN_VAR;\nexport const n = process.env.FROM_THE_API;\n', 'docs/env.md': 'Nothing here.\n' }));
  server.serveRepository(repo.dir, 2, base, head);
  // The Actions default: a depth-1 checkout of the head, without the base commit.
  shallow = join(mkdtempSync(join(tmpdir(), 'dg-shallow-')), 'clone');
  execFileSync('git', ['clone', '--quiet', '--depth', '1', '--branch', 'feature', `file://${repo.dir}`, shallow]);
});
afterEach(async () => {
  await server.stop();
  repo.remove();
  rmSync(shallow, { recursive: true, force: true });
});

describe('a shallow checkout', () => {
  it('reads the diff, the docs and the base policy from the GitHub API', async () => {
    expect(() => execFileSync('git', ['cat-file', '-e', `${base}^{commit}`], { cwd: shallow, stdio: 'ignore' })).toThrow();
    const run = await runInActions(server, shallow, 'pull_request', prPayload('synchronize', { number: 2, base, head, author: 'a' }));
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('src/a.ts:2  FROM_THE_API');
    expect(run.stdout).not.toContain('KNOWN_VAR:');
    expect(run.stdout).toContain('(searched README.md, docs/env.md)');
    const paths = server.requests.map((r) => `${r.path}${r.query.size ? `?${r.query}` : ''}`);
    expect(paths).toContain(`/repos/Codertocat/Hello-World/contents/policy.yaml?ref=${base}`);
    expect(paths).toContain(`/repos/Codertocat/Hello-World/git/trees/${head}?recursive=true`);
  });

  it('a diff GitHub refuses as too large (406) is read file by file, without asking again', async () => {
    server.failures.push({ method: 'GET', path: /\/pulls\/2$/, accept: /diff/, status: 406, message: 'Sorry, the diff exceeded the maximum number of files (300). Consider using \'List pull requests files\' API or locally cloning the repository instead.' });
    server.pulls.set(2, { number: 2, state: 'open', user: { login: 'a' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: ['docs/env.md', 'src/a.ts'] });
    const run = await runInActions(server, shallow, 'pull_request', prPayload('synchronize', { number: 2, base, head, author: 'a' }));
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('src/a.ts:2  FROM_THE_API');
    expect(run.stdout).not.toContain('KNOWN_VAR:');
    expect(server.requests.filter((r) => r.path.endsWith('/pulls/2') && /diff/.test(r.accept ?? ''))).toHaveLength(1);
    expect(server.requests.some((r) => r.path.endsWith('/pulls/2/files'))).toBe(true);
    expect(run.stderr).toContain('too large (406); reading it file by file');
  });

  it('without a token it says how to fix the checkout', async () => {
    const run = await runInActions(server, shallow, 'pull_request', prPayload('synchronize', { number: 2, base, head, author: 'a' }), [], { GITHUB_TOKEN: '' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('is not in the local clone and GITHUB_TOKEN is not set; check out with full history (actions/checkout with fetch-depth: 0) or pass the token');
  });
});
