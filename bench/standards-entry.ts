// Bench entry: `driftguard standards scan` over an organisation of 1,000 repositories on the
// loopback GitHub server (tests/helpers/github-org.ts, which answers 304 to a matching
// If-None-Match as GitHub does). Repositories in every tier and status, a quarter without
// metadata; the CLI runs as a child process, live, with its ETag cache in the audit folder.
// Deprecated projects have no infra settings here (no cloud in this bench).
//  (1) first scan: no ledger, no cache;
//  (2) second scan, nothing changed: only_changed skips every repository after one branch read;
//  (3) full rescan (only_changed: false) with the warm ETag cache, after 5% of the repositories
//      got a commit: how many reads GitHub answers 304.
// Prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubOrg } from '../tests/helpers/github-org.ts';
import { GitHubServer } from '../tests/helpers/github-server.ts';

const REPOS = Number(process.env.BENCH_STANDARDS_REPOS ?? 1000);
const cli = join(process.cwd(), 'bin', 'driftguard.js');
const dir = mkdtempSync(join(tmpdir(), 'dg-bench-standards-'));
const server = await new GitHubServer().start();
const org = new GitHubOrg(server, 'acme');
org.owners.add('@acme/core');
org.addRepo('platform', { 'README.md': 'runs the scans\n' });
const tiers = ['production', 'internal', 'prototype'];
const statuses = ['active', 'active', 'pre-release', 'deprecated'];
// Most repositories meet their tier's standards; one in 200 has protection switched off and one
// in 200 a CODEOWNERS naming a team that does not exist. GitHub paces content-creating writes
// (issues, comments: about one per 3 s, as Octokit's throttling plugin enforces), so the number
// of findings, not of repositories, sets a first scan's write time.
for (let i = 0; i < REPOS - 1; i++) {
  const files: Record<string, string> = { 'README.md': `service ${i}\n`, '.eslintrc.json': '{}\n', '.github/workflows/ci.yml': 'on: push\n' };
  if (i % 4 !== 3) files['repo-metadata.yaml'] = `tier: ${tiers[i % 3]}\nstatus: ${statuses[i % 4]}\n`;
  files['.github/CODEOWNERS'] = i % 200 === 50 ? '* @acme/ghosts\n' : '* @acme/core\n';
  const repo = org.addRepo(`svc-${String(i).padStart(4, '0')}`, files, { archived: i % 50 === 49 });
  if (i % 200 !== 0) repo.protection = { required_approving_review_count: 2, dismiss_stale_reviews: true, enforce_admins: true, contexts: ['ci'] };
  repo.labels.push('security', 'bug');
}
const policy = (onlyChanged: boolean) => `version: 1
dry_run: false
workflows: { schedule: [standards] }
modules:
  standards:
    org: acme
    only_changed: ${onlyChanged}
    concurrency: 8
    tiers:
      production:
        process:
          branch_protection: { required_reviews: 2, required_status_checks: [ci], dismiss_stale_reviews: true, enforce_admins: true }
          codeowners: true
          required_workflows: [.github/workflows/ci.yml]
          required_labels: [security]
        code: { files: [.eslintrc.json, ".github/workflows/**"] }
      internal:
        process: { branch_protection: { required_reviews: 1 }, codeowners: true }
        code: { files: [.eslintrc.json] }
`;

function scan(onlyChanged: boolean) {
  writeFileSync(join(dir, 'policy.yaml'), policy(onlyChanged));
  const before = server.requests.length;
  const started = process.hrtime.bigint();
  // Asynchronous: the server answers from this process while the child runs.
  return new Promise<{ ms: number; requests: number; writes: number; notModified: number; scanned: number; unchanged: number; outOfScope: number }>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'standards', 'scan', '--format', 'json', '--log-level', 'error'], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_TOKEN: server.token, GITHUB_API_URL: server.url, GITHUB_REPOSITORY: 'acme/platform' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c));
      child.stderr.on('data', (c: Buffer) => (err += c));
      child.on('close', (code) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (code !== 0 && code !== 1) return reject(new Error(`standards scan exited ${code}: ${err.slice(0, 2000)}`));
        const data = JSON.parse(out).steps[0].outcome.data as { notModified: number; repositories: Array<{ outcome: string }> };
        const seen = server.requests.slice(before);
        const count = (o: string) => data.repositories.filter((r) => r.outcome === o).length;
        resolve({ ms, requests: seen.length, writes: seen.filter((r) => r.method !== 'GET').length, notModified: data.notModified, scanned: count('scanned'), unchanged: count('unchanged'), outOfScope: count('out of scope') });
      });
  });
}

const first = await scan(true);
const second = await scan(true);
for (let i = 0; i < REPOS - 1; i += 20) org.commit(`acme/svc-${String(i).padStart(4, '0')}`, { 'README.md': 'changed\n' });
const full = await scan(false);
await server.stop();
process.stdout.write(`${JSON.stringify({ repos: REPOS, archived: [...org.repos.values()].filter((r) => r.archived).length, first, second, full })}\n`);
