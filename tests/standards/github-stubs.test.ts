import { Ajv } from 'ajv';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubOrg } from '../helpers/github-org.ts';
import { GitHubServer } from '../helpers/github-server.ts';

// Every answer the loopback organisation gives is checked against GitHub's published OpenAPI
// description (@octokit/openapi, api.github.com), schema of the operation and status it stands for.
const spec = createRequire(import.meta.url)('@octokit/openapi/generated/api.github.com.json') as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { responses: Record<string, unknown> } };
const ajv = new Ajv({ strict: false, validateSchema: false, validateFormats: false, allErrors: true });
ajv.addSchema(openApiNullable(spec) as object, 'gh');

/** OpenAPI 3.0's `nullable: true` beside allOf/anyOf (no `type`), as JSON Schema: the schema, or null. */
function openApiNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiNullable);
  if (typeof node !== 'object' || node === null) return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, openApiNullable(v)]));
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** The JSON schema of an operation's answer, as a $ref into the description. */
function schemaRef(path: string, method: string, status: string): object {
  const pointer = (p: string) => p.replace(/~/g, '~0').replace(/\//g, '~1');
  const response = spec.paths[path]![method]!.responses[status] as { $ref?: string; content?: unknown };
  // An error GitHub describes with no body schema gets its usual error body.
  if (!response.$ref && !response.content) return { $ref: 'gh#/components/schemas/basic-error' };
  if (response.$ref) {
    const name = response.$ref.split('/').pop()!;
    return { $ref: `gh#/components/responses/${pointer(name)}/content/application~1json/schema` };
  }
  return { $ref: `gh#/paths/${pointer(path)}/${method}/responses/${status}/content/application~1json/schema` };
}

let server: GitHubServer;
let org: GitHubOrg;
let base: string;

beforeAll(async () => {
  server = await new GitHubServer().start();
  org = new GitHubOrg(server, 'acme');
  org.owners.add('@acme/core');
  const repo = org.addRepo('svc', { 'repo-metadata.yaml': 'tier: production\nstatus: active\n', '.github/CODEOWNERS': '* @acme/core @nobody\n' });
  repo.protection = { required_approving_review_count: 2, dismiss_stale_reviews: true, enforce_admins: true, contexts: ['ci'] };
  repo.rules.push({ type: 'pull_request', parameters: { required_approving_review_count: 1, dismiss_stale_reviews_on_push: true, require_code_owner_review: false, require_last_push_approval: false, required_review_thread_resolution: false }, ruleset_id: 1 });
  repo.rules.push({ type: 'required_status_checks', parameters: { strict_required_status_checks_policy: true, required_status_checks: [{ context: 'lint' }] }, ruleset_id: 1 });
  repo.labels.push('security');
  org.commit('acme/svc', { '.eslintrc.json': '{}\n' }, 'lint');
  org.addRepo('bare', { 'README.md': 'x\n' });
  org.addIssue('acme/svc', { title: 't', body: 'b', labels: ['drift:process'], author: server.botLogin });
  base = server.url;
});
afterAll(async () => {
  await server?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown; etag: string | null }> {
  const response = await fetch(`${base}${path}`, { method, headers: { authorization: `token ${server.token}`, accept: 'application/vnd.github+json', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: response.status, data: await response.json(), etag: response.headers.get('etag') };
}

describe('the loopback organisation answers in the shapes of GitHub\'s OpenAPI description', () => {
  const first = () => org.repo('acme/svc').commits[0]!.sha;
  const cases: Array<[string, string, string, string, () => string, unknown?]> = [
    ['list organisation repositories', 'GET', '/orgs/{org}/repos', '200', () => '/orgs/acme/repos?per_page=100'],
    ['get a repository', 'GET', '/repos/{owner}/{repo}', '200', () => '/repos/acme/svc'],
    ['get a branch', 'GET', '/repos/{owner}/{repo}/branches/{branch}', '200', () => '/repos/acme/svc/branches/main'],
    ['get branch protection', 'GET', '/repos/{owner}/{repo}/branches/{branch}/protection', '200', () => '/repos/acme/svc/branches/main/protection'],
    ['branch protection off (404)', 'GET', '/repos/{owner}/{repo}/branches/{branch}/protection', '404', () => '/repos/acme/bare/branches/main/protection'],
    ['rules for a branch', 'GET', '/repos/{owner}/{repo}/rules/branches/{branch}', '200', () => '/repos/acme/svc/rules/branches/main'],
    ['CODEOWNERS errors', 'GET', '/repos/{owner}/{repo}/codeowners/errors', '200', () => '/repos/acme/svc/codeowners/errors'],
    ['no CODEOWNERS (404)', 'GET', '/repos/{owner}/{repo}/codeowners/errors', '404', () => '/repos/acme/bare/codeowners/errors'],
    ['list labels', 'GET', '/repos/{owner}/{repo}/labels', '200', () => '/repos/acme/svc/labels'],
    ['compare two commits', 'GET', '/repos/{owner}/{repo}/compare/{basehead}', '200', () => `/repos/acme/svc/compare/${first()}...${org.head('acme/svc')}`],
    ['list commits touching a path', 'GET', '/repos/{owner}/{repo}/commits', '200', () => `/repos/acme/svc/commits?sha=${org.head('acme/svc')}&path=.eslintrc.json`],
    ['list issues', 'GET', '/repos/{owner}/{repo}/issues', '200', () => '/repos/acme/svc/issues?state=open&creator=github-actions%5Bbot%5D'],
    ['create an issue', 'POST', '/repos/{owner}/{repo}/issues', '201', () => '/repos/acme/svc/issues', { title: 'x', body: 'y', labels: ['drift:code'] }],
    ['update an issue', 'PATCH', '/repos/{owner}/{repo}/issues/{issue_number}', '200', () => '/repos/acme/svc/issues/1', { body: 'z' }],
    ['comment on an issue', 'POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', '201', () => '/repos/acme/svc/issues/1/comments', { body: 'resolved' }],
    ['search issues', 'GET', '/search/issues', '200', () => `/search/issues?q=${encodeURIComponent('org:acme is:issue is:open label:"drift:process"')}`],
  ];
  for (const [name, method, path, status, url, body] of cases) {
    it(`${name}: ${method} ${path} ${status}`, async () => {
      const answer = await call(method, url(), body);
      expect(answer.status).toBe(Number(status));
      const validate = ajv.compile(schemaRef(path, method.toLowerCase(), status));
      const ok = validate(answer.data);
      expect(ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    });
  }

  it('answers a GET with an ETag and a matching If-None-Match with 304 and no body', async () => {
    const first = await call('GET', '/repos/acme/svc/labels');
    expect(first.etag).toMatch(/^W\/"[0-9a-f]{40}"$/);
    const again = await fetch(`${base}/repos/acme/svc/labels`, { headers: { authorization: `token ${server.token}`, 'if-none-match': first.etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('the validator rejects a shape GitHub would not send', () => {
    const validate = ajv.compile(schemaRef('/repos/{owner}/{repo}/codeowners/errors', 'get', '200'));
    expect(validate({ errors: [{ line: '2', kind: 'Unknown owner' }] })).toBe(false);
  });
});
