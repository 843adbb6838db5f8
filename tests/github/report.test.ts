import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderMarkdown, rendered } from '../helpers/markdown.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { GitHubServer } from '../helpers/github-server.ts';
import { prPayload, runInActions } from '../helpers/github-run.ts';

const POLICY = (dry = false) => `version: 1
dry_run: ${dry}
audit: { dir: audit }
workflows:
  pr_opened: [doc_sync]
  pr_synchronize: [doc_sync]
modules:
  doc_sync:
    ai: { enabled: false }
`;

let server: GitHubServer;
let repo: TestRepo;
let base: string;
let head: string;

beforeEach(async () => {
  server = await new GitHubServer().start();
  ({ repo, base, head } = TestRepo.withChange({ 'README.md': '# app\n', 'policy.yaml': POLICY() }, { 'src/a.ts': 'export const a = process.env.NEW_VAR;\nexport const b = process.env.OTHER_VAR;\n' }));
  server.pulls.set(2, { number: 2, state: 'open', user: { login: 'author' }, head: { sha: head, ref: 'feature' }, base: { sha: base, ref: 'main' }, files: ['src/a.ts'] });
});
afterEach(async () => {
  await server.stop();
  repo.remove();
});

const payload = (action = 'synchronize') => prPayload(action, { number: 2, base, head, author: 'author' });

describe('reporting on GitHub', () => {
  it('creates one check run per module on the head SHA with annotations, and one sticky comment', async () => {
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(1);
    expect(server.checkRuns).toHaveLength(1);
    const check = server.checkRuns[0]!;
    expect(check).toMatchObject({ name: 'driftguard/doc-sync', head_sha: head, conclusion: 'failure', status: 'completed' });
    expect(check.annotations).toEqual([
      expect.objectContaining({ path: 'src/a.ts', start_line: 1, end_line: 1, annotation_level: 'failure', title: 'NEW_VAR' }),
      expect.objectContaining({ path: 'src/a.ts', start_line: 2, title: 'OTHER_VAR' }),
    ]);
    expect(server.comments).toHaveLength(1);
    expect(server.comments[0]!.body).toContain('<!-- driftguard:report -->');
    expect(server.comments[0]!.body).toContain('DriftGuard: BLOCKED');
    expect(server.requests.every((r) => r.authorization === `token ${server.token}`)).toBe(true);
    expect(run.summary).toContain('### ❌ DriftGuard: BLOCKED');
    expect(run.summary).toContain('```mermaid\nstateDiagram-v2');
    expect(run.summary).toContain('class pr_synchronize_doc_sync visited');
  });

  it('stays within GitHub\'s size limits with 600 undocumented variables, errors first, and says how many are not shown', async () => {
    const names = Array.from({ length: 600 }, (_, i) => `A_RATHER_LONG_SETTING_NAME_FOR_THE_PAYMENTS_SERVICE_NUMBER_${String(i).padStart(3, '0')}`);
    repo.write({ 'src/many.ts': names.map((n) => `export const v${n.slice(-3)} = process.env.${n};\n`).join('') });
    head = repo.commit('many variables');
    server.pulls.get(2)!.head.sha = head;
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/602 undocumented changes \(500 listed, 102 not shown: modules\.doc_sync\.max_findings is 500\)/);
    const sticky = server.comments.find((c) => c.user.login === server.botLogin)!;
    expect(sticky.body.length).toBeLessThanOrEqual(65_536);
    expect(sticky.body).toMatch(/\*\*\d+ more not shown here\*\* \(GitHub's size limit\): see the check runs, the job summary and the audit artifact\./);
    const check = server.checkRuns.at(-1)!;
    expect(check.output.summary!.length).toBeLessThanOrEqual(65_535);
    expect(check.output.summary).toMatch(/\*\*\d+ more not shown here\*\*/);
    expect(check.annotations).toHaveLength(200);
  });

  it('updates the sticky comment only when the verdict changes, and never someone else\'s', async () => {
    server.addComment(2, 'someone', 'I like <!-- driftguard:report --> markers');
    await runInActions(server, repo.dir, 'pull_request', payload());
    await runInActions(server, repo.dir, 'pull_request', payload());
    const ours = server.comments.filter((c) => c.user.login === server.botLogin);
    expect(ours).toHaveLength(1);
    expect(server.writes().filter((w) => w.path.includes('/issues/comments/'))).toHaveLength(0);
    expect(server.comments[0]!.body).toBe('I like <!-- driftguard:report --> markers');

    // The author documents one variable: the verdict changes, the same comment is updated.
    repo.write({ 'README.md': '# app\nNEW_VAR does things.\n' });
    head = repo.commit('document NEW_VAR');
    server.pulls.get(2)!.head.sha = head;
    await runInActions(server, repo.dir, 'pull_request', payload());
    expect(server.comments.filter((c) => c.user.login === server.botLogin)).toHaveLength(1);
    const patches = server.writes().filter((w) => w.method === 'PATCH' && w.path.includes('/issues/comments/'));
    expect(patches).toHaveLength(1);
    expect(patches[0]!.body.body).toContain('OTHER\\_VAR');
    expect(patches[0]!.body.body).not.toContain('NEW\\_VAR');
  });

  it('says nothing in a comment when the first verdict is a pass', async () => {
    repo.write({ 'README.md': '# app\nNEW_VAR and OTHER_VAR.\n' });
    head = repo.commit('docs');
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(0);
    expect(server.comments).toHaveLength(0);
    expect(server.checkRuns[0]).toMatchObject({ conclusion: 'success' });
  });

  it('falls back to a commit status when check runs are not permitted', async () => {
    server.failures.push({ method: 'POST', path: /\/check-runs$/, status: 403 });
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(1);
    expect(server.checkRuns).toHaveLength(0);
    expect(server.statuses).toEqual([expect.objectContaining({ sha: head, state: 'failure', context: 'driftguard/doc-sync' })]);
  });

  it('sends annotations in batches of 50 and caps them', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `export const v${i} = process.env.VAR_${i};`).join('\n');
    repo.write({ 'src/many.ts': `${lines}\n` });
    head = repo.commit('many');
    await runInActions(server, repo.dir, 'pull_request', payload());
    const check = server.checkRuns[0]!;
    expect(check.annotations).toHaveLength(122);
    const patches = server.writes().filter((w) => w.method === 'PATCH' && w.path.includes('/check-runs/'));
    expect(patches.map((p) => p.body.output.annotations.length)).toEqual([50, 22]);
  });

  it('--dry-run writes nothing to GitHub and prints exactly what it would have written', async () => {
    const run = await runInActions(server, repo.dir, 'pull_request', payload(), ['--dry-run']);
    expect(run.code).toBe(1);
    expect(server.writes()).toHaveLength(0);
    expect(run.stdout).toContain('Dry run: would have written to GitHub:');
    expect(run.stdout).toMatch(/would POST \/repos\/Codertocat\/Hello-World\/check-runs \{"name":"driftguard\/doc-sync","head_sha":"[0-9a-f]{40}","status":"completed","conclusion":"failure"/);
    expect(run.stdout).toContain('would POST /repos/Codertocat/Hello-World/issues/2/comments');
    expect(run.summary).toContain('Dry run: what would have been written to GitHub');
  });

  it('reads the policy from the base branch: a PR cannot weaken the rules that judge it', async () => {
    repo.write({ 'policy.yaml': POLICY().replace('pr_synchronize: [doc_sync]', 'pr_synchronize: []') });
    head = repo.commit('switch the check off');
    server.pulls.get(2)!.head.sha = head;
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(1);
    expect(server.checkRuns.map((c) => [c.name, c.conclusion])).toEqual([
      ['driftguard/doc-sync', 'failure'],
      ['driftguard/policy', 'success'],
    ]);
    expect(server.checkRuns[1]!.output.title).toBe('policy.yaml changes in this pull request; the new version is valid');
  });

  it('fails a PR whose new policy is invalid, in a check of its own that names the problem', async () => {
    repo.write({ 'README.md': '# app\nNEW_VAR and OTHER_VAR.\n', 'policy.yaml': `${POLICY()}    ttl: 24h\n` });
    head = repo.commit('bad policy');
    server.pulls.get(2)!.head.sha = head;
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(1);
    const policyCheck = server.checkRuns.find((c) => c.name === 'driftguard/policy')!;
    expect(policyCheck.conclusion).toBe('failure');
    expect(rendered(policyCheck.output.summary!)).toMatch(/policy\.yaml@[0-9a-f]{12}:10:5 modules\.doc_sync\.ttl: unknown key "ttl"/);
  });

  it('renders the pull request\'s own policy text inert in the policy check', async () => {
    repo.write({ 'policy.yaml': `${POLICY()}overrides:\n  min_permission: "<img src=x onerror=alert(1)> @everyone [click](https://evil.example) <!--"\n  "<script>@acme/admins</script>": 1\n` });
    head = repo.commit('hostile policy');
    server.pulls.get(2)!.head.sha = head;
    await runInActions(server, repo.dir, 'pull_request', payload());
    const summary = server.checkRuns.find((c) => c.name === 'driftguard/policy')!.output.summary!;
    const html = renderMarkdown(summary);
    expect(html).not.toMatch(/<(img|script|a)\b|<!--/);
    expect(rendered(summary)).toContain('<img src=x onerror=alert(1)> @everyone');
    expect(rendered(summary)).toContain('unknown key "<script>@acme/admins</script>"');
    expect(summary).not.toMatch(/@(everyone|acme)/);
  });

  it('refuses to run a PR check when the base branch has no policy', async () => {
    const { repo: bare, base: b, head: h } = TestRepo.withChange({ 'README.md': '# x\n' }, { 'policy.yaml': POLICY(), 'a.ts': 'process.env.X_Y;\n' });
    try {
      const run = await runInActions(server, bare.dir, 'pull_request', prPayload('synchronize', { number: 2, base: b, head: h, author: 'a' }));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('policy.yaml does not exist on the base branch');
      expect(server.writes()).toHaveLength(0);
    } finally {
      bare.remove();
    }
  });

  it('a GitHub error while reporting makes the run incomplete, and the audit artifact still records it', async () => {
    server.failures.push({ method: 'POST', path: /\/check-runs$/, status: 422, message: 'Validation Failed' });
    const run = await runInActions(server, repo.dir, 'pull_request', payload());
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/reporting to GitHub failed: (HttpError: )?Validation Failed/);
    const { readdirSync, readFileSync } = await import('node:fs');
    const [file] = readdirSync(`${repo.dir}/audit`);
    const audit = JSON.parse(readFileSync(`${repo.dir}/audit/${file}`, 'utf8'));
    expect(audit.outcome).toBe('blocked');
    expect(audit.github.error).toContain('Validation Failed');
  });

  it('never puts a secret in a check run, a comment or the job summary', async () => {
    const canary = 'CanaryDbPassw0rd-0042';
    const policy = `${POLICY()}    rules:\n      - { id: secret-setting, kind: setting, pattern: "setting=(\\\\S+)", paths: ["src/**"] }\n`;
    const { repo: r, base: b, head: h } = TestRepo.withChange({ 'README.md': '# x\n', 'policy.yaml': policy }, { 'src/conf.ts': `// setting=${canary}\n` });
    try {
      const run = await runInActions(server, r.dir, 'pull_request', prPayload('synchronize', { number: 2, base: b, head: h, author: 'a' }), [], { DATABASE_PASSWORD: canary });
      expect(run.code).toBe(1);
      expect(server.checkRuns).toHaveLength(1);
      const sent = JSON.stringify(server.requests.map((q) => q.body));
      expect(sent).toContain('[REDACTED]');
      for (const text of [sent, run.stdout, run.stderr, run.summary]) expect(text).not.toContain(canary);
    } finally {
      r.remove();
    }
  });
});
