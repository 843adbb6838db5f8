import { createHash } from 'node:crypto';
import type { GitHubServer, Recorded } from './github-server.ts';

type Send = (status: number, data: unknown, headers?: Record<string, string>) => void;
type SendRaw = (status: number, text: string, headers: Record<string, string>) => void;

interface Commit {
  sha: string;
  parent?: string;
  message: string;
  tree: Map<string, string>;
  at: string;
}

export interface OrgIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  author: string;
  comments: Array<{ id: number; body: string; author: string }>;
  created_at: string;
  updated_at: string;
}

export interface ClassicProtection {
  required_approving_review_count?: number;
  dismiss_stale_reviews?: boolean;
  enforce_admins?: boolean;
  contexts?: string[];
}

export interface OrgRepoState {
  owner: string;
  name: string;
  id: number;
  default_branch: string;
  archived: boolean;
  commits: Commit[];
  protection?: ClassicProtection;
  rules: Array<{ type: string; parameters?: Record<string, unknown>; ruleset_id: number }>;
  labels: string[];
  issues: Map<number, OrgIssue>;
}

const API = 'https://api.github.test';
const WEB = 'https://github.test';

/** A user as GitHub shapes it (simple-user). */
export function user(login: string, id = 1, type = 'User') {
  const u = `${API}/users/${login}`;
  return { login, id, node_id: `U_${id}`, avatar_url: `https://avatars.github.test/u/${id}`, gravatar_id: '', url: u, html_url: `${WEB}/${login}`, followers_url: `${u}/followers`, following_url: `${u}/following{/other_user}`, gists_url: `${u}/gists{/gist_id}`, starred_url: `${u}/starred{/owner}{/repo}`, subscriptions_url: `${u}/subscriptions`, organizations_url: `${u}/orgs`, repos_url: `${u}/repos`, events_url: `${u}/events{/privacy}`, received_events_url: `${u}/received_events`, type, site_admin: false };
}

const REPO_URLS: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}', assignees_url: '/assignees{/user}', blobs_url: '/git/blobs{/sha}', branches_url: '/branches{/branch}', collaborators_url: '/collaborators{/collaborator}', comments_url: '/comments{/number}', commits_url: '/commits{/sha}', compare_url: '/compare/{base}...{head}', contents_url: '/contents/{+path}', contributors_url: '/contributors', deployments_url: '/deployments', downloads_url: '/downloads', events_url: '/events', forks_url: '/forks', git_commits_url: '/git/commits{/sha}', git_refs_url: '/git/refs{/sha}', git_tags_url: '/git/tags{/sha}', hooks_url: '/hooks', issue_comment_url: '/issues/comments{/number}', issue_events_url: '/issues/events{/number}', issues_url: '/issues{/number}', keys_url: '/keys{/key_id}', labels_url: '/labels{/name}', languages_url: '/languages', merges_url: '/merges', milestones_url: '/milestones{/number}', notifications_url: '/notifications{?since,all,participating}', pulls_url: '/pulls{/number}', releases_url: '/releases{/id}', stargazers_url: '/stargazers', statuses_url: '/statuses/{sha}', subscribers_url: '/subscribers', subscription_url: '/subscription', tags_url: '/tags', teams_url: '/teams', trees_url: '/git/trees{/sha}',
};

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** A line diff in GitHub's `patch` form (one hunk: old lines removed, new lines added). */
function patchOf(before: string | undefined, after: string | undefined): string {
  const a = before === undefined ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === undefined ? [] : after.replace(/\n$/, '').split('\n');
  return [`@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@`, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)].join('\n');
}

/**
 * An organisation's repositories on the loopback GitHub server: repositories with a linear
 * history of commits (each a full tree), classic branch protection, rulesets, labels, CODEOWNERS
 * checked against the organisation's users and teams, issues with authors, and issue search.
 * GET answers carry an ETag and answer 304 to a matching If-None-Match, as GitHub does.
 */
export class GitHubOrg {
  readonly repos = new Map<string, OrgRepoState>();
  /** Owners a CODEOWNERS file may name: "@login" and "@org/team". */
  readonly owners = new Set<string>();
  private nextId = 5000;
  private clock = Date.parse('2026-11-01T00:00:00Z');

  constructor(readonly server: GitHubServer, readonly org: string) {
    server.routes.push((r, send, url, sendRaw) => this.route(r, send, url, sendRaw));
  }

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  addRepo(name: string, files: Record<string, string>, options: { archived?: boolean; defaultBranch?: string; owner?: string } = {}): OrgRepoState {
    const owner = options.owner ?? this.org;
    const repo: OrgRepoState = { owner, name, id: this.nextId++, default_branch: options.defaultBranch ?? 'main', archived: options.archived ?? false, commits: [], rules: [], labels: [], issues: new Map() };
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    this.commit(`${owner}/${name}`, files, 'initial commit');
    return repo;
  }

  repo(fullName: string): OrgRepoState {
    const r = this.repos.get(fullName.toLowerCase());
    if (!r) throw new Error(`no repository ${fullName}`);
    return r;
  }

  head(fullName: string): string {
    return this.repo(fullName).commits.at(-1)!.sha;
  }

  /** A commit on the default branch: `changes` maps paths to new contents (null deletes). Returns its SHA. */
  commit(fullName: string, changes: Record<string, string | null>, message = 'change'): string {
    const repo = this.repo(fullName);
    const parent = repo.commits.at(-1);
    const tree = new Map(parent?.tree ?? []);
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) tree.delete(path);
      else tree.set(path, content);
    }
    const sha = sha1(`${fullName}\n${parent?.sha ?? ''}\n${message}\n${repo.commits.length}\n${JSON.stringify([...tree])}`);
    repo.commits.push({ sha, parent: parent?.sha, message, tree, at: this.now() });
    return sha;
  }

  /** Issues of a repository opened by `author` (DriftGuard's identity unless told). */
  addIssue(fullName: string, issue: { title: string; body: string; labels: string[]; author: string }): OrgIssue {
    const repo = this.repo(fullName);
    const at = this.now();
    const number = repo.issues.size + 1;
    const stored: OrgIssue = { number, state: 'open', comments: [], created_at: at, updated_at: at, ...issue };
    repo.issues.set(number, stored);
    return stored;
  }

  repoJson(repo: OrgRepoState, full = false) {
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    const urls = Object.fromEntries(Object.entries(REPO_URLS).map(([k, v]) => [k, `${base}${v}`]));
    const minimal = { id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: `${repo.owner}/${repo.name}`, owner: user(repo.owner, 9, 'Organization'), private: true, html_url: `${WEB}/${repo.owner}/${repo.name}`, description: null, fork: false, url: base, ...urls, default_branch: repo.default_branch, archived: repo.archived, disabled: false };
    if (!full) return minimal;
    const at = repo.commits[0]!.at;
    return { ...minimal, clone_url: `${WEB}/${repo.owner}/${repo.name}.git`, git_url: `git://github.test/${repo.owner}/${repo.name}.git`, ssh_url: `git@github.test:${repo.owner}/${repo.name}.git`, svn_url: `${WEB}/${repo.owner}/${repo.name}`, mirror_url: null, homepage: null, language: null, forks: 0, forks_count: 0, stargazers_count: 0, watchers: 0, watchers_count: 0, size: 1, open_issues: 0, open_issues_count: 0, has_issues: true, has_projects: false, has_wiki: false, has_pages: false, has_discussions: false, license: null, pushed_at: repo.commits.at(-1)!.at, created_at: at, updated_at: at, network_count: 0, subscribers_count: 0 };
  }

  commitJson(repo: OrgRepoState, c: Commit) {
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    const who = { name: 'Dev', email: 'dev@example.invalid', date: c.at };
    return { url: `${base}/commits/${c.sha}`, sha: c.sha, node_id: `C_${c.sha.slice(0, 8)}`, html_url: `${WEB}/${repo.owner}/${repo.name}/commit/${c.sha}`, comments_url: `${base}/commits/${c.sha}/comments`, commit: { url: `${base}/git/commits/${c.sha}`, author: who, committer: who, message: c.message, comment_count: 0, tree: { sha: sha1(JSON.stringify([...c.tree])), url: `${base}/git/trees/${sha1(JSON.stringify([...c.tree]))}` } }, author: user('dev', 2), committer: user('dev', 2), parents: c.parent ? [{ sha: c.parent, url: `${base}/commits/${c.parent}`, html_url: `${WEB}/${repo.owner}/${repo.name}/commit/${c.parent}` }] : [] };
  }

  issueJson(repo: OrgRepoState, i: OrgIssue) {
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    return { id: repo.id * 1000 + i.number, node_id: `I_${repo.id}_${i.number}`, url: `${base}/issues/${i.number}`, repository_url: base, labels_url: `${base}/issues/${i.number}/labels{/name}`, comments_url: `${base}/issues/${i.number}/comments`, events_url: `${base}/issues/${i.number}/events`, html_url: `${WEB}/${repo.owner}/${repo.name}/issues/${i.number}`, number: i.number, state: i.state, title: i.title, body: i.body, user: user(i.author, i.author.endsWith('[bot]') ? 41898282 : 3, i.author.endsWith('[bot]') ? 'Bot' : 'User'), labels: i.labels.map((name, n) => ({ id: n + 1, node_id: `L_${n}`, url: `${base}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false })), assignee: null, milestone: null, locked: false, comments: i.comments.length, closed_at: i.state === 'closed' ? i.updated_at : null, created_at: i.created_at, updated_at: i.updated_at, author_association: 'NONE' };
  }

  /** GitHub's CODEOWNERS check: owners unknown to the organisation, and entries that are not owners. */
  codeownersErrors(path: string, text: string) {
    const errors: Array<{ line: number; column: number; kind: string; source: string; suggestion: string | null; message: string; path: string }> = [];
    text.split('\n').forEach((source, i) => {
      const line = source.replace(/#.*$/, '');
      if (!line.trim()) return;
      const [, ...owners] = line.trim().split(/\s+/);
      let from = 0;
      for (const owner of owners) {
        const column = source.indexOf(owner, from) + 1;
        from = column;
        if (!owner.startsWith('@') && !owner.includes('@')) errors.push({ line: i + 1, column, kind: 'Invalid owner', source, suggestion: null, message: `Invalid owner on line ${i + 1}:\n\n  ${source}\n  ${' '.repeat(column - 1)}^`, path });
        else if (owner.startsWith('@') && !this.owners.has(owner)) errors.push({ line: i + 1, column, kind: 'Unknown owner', source, suggestion: null, message: `Unknown owner on line ${i + 1}: make sure ${owner} exists and has write access to the repository\n\n  ${source}\n  ${' '.repeat(column - 1)}^`, path });
      }
    });
    return errors;
  }

  private page<T>(items: T[], url: URL): { slice: T[]; headers: Record<string, string> } {
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${this.server.url}${next.pathname}${next.search}>; rel="next"`;
    }
    return { slice: items.slice((page - 1) * perPage, page * perPage), headers };
  }

  private route(r: Recorded, send: Send, url: URL, sendRaw: SendRaw): boolean {
    let m: RegExpExecArray | null;
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(r.path);
    const repo = repoMatch ? this.repos.get(`${decodeURIComponent(repoMatch[1]!)}/${decodeURIComponent(repoMatch[2]!)}`.toLowerCase()) : undefined;
    const isOrgList = (m = /^\/orgs\/([^/]+)\/repos$/.exec(r.path)) && m[1]!.toLowerCase() === this.org.toLowerCase();
    if (!repo && !isOrgList && r.path !== '/search/issues') return false;
    // GET answers carry a validator; a matching If-None-Match gets 304 and no body.
    const answer = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      if (r.method === 'GET' && status === 200) {
        const etag = `W/"${sha1(JSON.stringify(data) + (headers.link ?? ''))}"`;
        if (r.headers?.['if-none-match'] === etag) {
          sendRaw(304, '', { etag });
          return true;
        }
        send(status, data, { ...headers, etag });
        return true;
      }
      send(status, data, headers);
      return true;
    };
    const notFound = (message = 'Not Found') => answer(404, { message, documentation_url: 'https://docs.github.com/rest', status: '404' });
    if (isOrgList && r.method === 'GET') {
      const all = [...this.repos.values()].filter((x) => x.owner.toLowerCase() === this.org.toLowerCase()).sort((a, b) => a.id - b.id);
      const { slice, headers } = this.page(all, url);
      return answer(200, slice.map((x) => this.repoJson(x)), headers);
    }
    if (r.path === '/search/issues' && r.method === 'GET') {
      const q = url.searchParams.get('q') ?? '';
      const org = /(?:^|\s)org:(\S+)/.exec(q)?.[1];
      const labels = [...q.matchAll(/label:"?([^"\s]+)"?/g)].map((x) => x[1]!);
      const author = /(?:^|\s)author:(\S+)/.exec(q)?.[1];
      const items = [...this.repos.values()]
        .filter((x) => !org || x.owner.toLowerCase() === org.toLowerCase())
        .flatMap((x) => [...x.issues.values()].filter((i) => (!/is:open/.test(q) || i.state === 'open') && labels.every((l) => l.split(',').some((one) => i.labels.includes(one))) && (!author || i.author === author.replace(/^app\//, '') || i.author === `${author.replace(/^app\//, '')}[bot]`)).map((i) => ({ ...this.issueJson(x, i), score: 1 })));
      const { slice, headers } = this.page(items, url);
      // search_type after items: Octokit's paginate reads the first key left after the counts as the list.
      return answer(200, { total_count: items.length, incomplete_results: false, items: slice, search_type: 'lexical' }, headers);
    }
    if (!repo) return false;
    const rest = repoMatch![3] ?? '';
    const head = repo.commits.at(-1)!;
    const at = (ref: string | null) => (ref === null || ref === '' || ref === repo.default_branch ? head : repo.commits.find((c) => c.sha === ref));
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    if (r.method === 'GET' && rest === '') return answer(200, this.repoJson(repo, true));
    if (r.method === 'GET' && (m = /^\/branches\/([^/]+)$/.exec(rest))) {
      if (decodeURIComponent(m[1]!) !== repo.default_branch) return notFound('Branch not found');
      const protectedNow = Boolean(repo.protection);
      return answer(200, { name: repo.default_branch, commit: this.commitJson(repo, head), _links: { html: `${WEB}/${repo.owner}/${repo.name}/tree/${repo.default_branch}`, self: `${base}/branches/${repo.default_branch}` }, protected: protectedNow, protection: { enabled: protectedNow, required_status_checks: { enforcement_level: protectedNow ? 'non_admins' : 'off', contexts: repo.protection?.contexts ?? [], checks: (repo.protection?.contexts ?? []).map((context) => ({ context, app_id: null })) } }, protection_url: `${base}/branches/${repo.default_branch}/protection` });
    }
    if (r.method === 'GET' && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const commit = at(url.searchParams.get('ref'));
      const path = decodeURIComponent(m[1]!);
      const content = commit?.tree.get(path);
      if (content === undefined) return notFound();
      if (/raw/.test(r.accept ?? '')) {
        const etag = `W/"${sha1(content)}"`;
        if (r.headers?.['if-none-match'] === etag) sendRaw(304, '', { etag });
        else sendRaw(200, content, { 'content-type': 'application/vnd.github.raw; charset=utf-8', etag });
        return true;
      }
      return answer(200, { type: 'file', encoding: 'base64', size: content.length, name: path.split('/').pop(), path, content: Buffer.from(content).toString('base64'), sha: sha1(content), url: `${base}/contents/${path}`, git_url: null, html_url: null, download_url: null, _links: { self: `${base}/contents/${path}`, git: null, html: null } });
    }
    if (r.method === 'GET' && (m = /^\/branches\/([^/]+)\/protection$/.exec(rest))) {
      const p = repo.protection;
      if (!p || decodeURIComponent(m[1]!) !== repo.default_branch) return notFound('Branch not protected');
      const url0 = `${base}/branches/${repo.default_branch}/protection`;
      return answer(200, {
        url: url0,
        required_status_checks: { url: `${url0}/required_status_checks`, strict: true, contexts: p.contexts ?? [], checks: (p.contexts ?? []).map((context) => ({ context, app_id: null })), contexts_url: `${url0}/required_status_checks/contexts` },
        required_pull_request_reviews: { url: `${url0}/required_pull_request_reviews`, dismiss_stale_reviews: p.dismiss_stale_reviews ?? false, require_code_owner_reviews: false, required_approving_review_count: p.required_approving_review_count ?? 0, require_last_push_approval: false },
        enforce_admins: { url: `${url0}/enforce_admins`, enabled: p.enforce_admins ?? false },
      });
    }
    if (r.method === 'GET' && (m = /^\/rules\/branches\/([^/]+)$/.exec(rest))) {
      const rules = decodeURIComponent(m[1]!) === repo.default_branch ? repo.rules.map((x) => ({ type: x.type, ...(x.parameters ? { parameters: x.parameters } : {}), ruleset_source_type: 'Repository', ruleset_source: `${repo.owner}/${repo.name}`, ruleset_id: x.ruleset_id })) : [];
      const { slice, headers } = this.page(rules, url);
      return answer(200, slice, headers);
    }
    if (r.method === 'GET' && rest === '/codeowners/errors') {
      const commit = at(url.searchParams.get('ref'));
      const path = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'].find((p) => commit?.tree.has(p));
      if (!commit || !path) return notFound();
      return answer(200, { errors: this.codeownersErrors(path, commit.tree.get(path)!) });
    }
    if (r.method === 'GET' && rest === '/labels') {
      const { slice, headers } = this.page(repo.labels.map((name, i) => ({ id: i + 1, node_id: `LA_${i}`, url: `${base}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false })), url);
      return answer(200, slice, headers);
    }
    if (r.method === 'GET' && (m = /^\/compare\/([0-9a-f]{40})\.\.\.([0-9a-f]{40})$/.exec(rest))) {
      const from = repo.commits.findIndex((c) => c.sha === m![1]);
      const to = repo.commits.findIndex((c) => c.sha === m![2]);
      if (from < 0 || to < 0) return notFound('No common ancestor between these commits');
      const a = repo.commits[from]!;
      const b = repo.commits[to]!;
      const paths = [...new Set([...a.tree.keys(), ...b.tree.keys()])].filter((p) => a.tree.get(p) !== b.tree.get(p)).sort();
      const files = paths.map((filename) => {
        const before = a.tree.get(filename);
        const after = b.tree.get(filename);
        const patch = patchOf(before, after);
        const additions = after === undefined ? 0 : after.split('\n').length;
        const deletions = before === undefined ? 0 : before.split('\n').length;
        return { sha: sha1(after ?? ''), filename, status: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified', additions, deletions, changes: additions + deletions, blob_url: `${WEB}/${repo.owner}/${repo.name}/blob/${b.sha}/${filename}`, raw_url: `${WEB}/${repo.owner}/${repo.name}/raw/${b.sha}/${filename}`, contents_url: `${base}/contents/${filename}?ref=${b.sha}`, patch };
      });
      const commits = repo.commits.slice(from + 1, to + 1).map((c) => this.commitJson(repo, c));
      return answer(200, { url: `${base}/compare/${a.sha}...${b.sha}`, html_url: `${WEB}/${repo.owner}/${repo.name}/compare/${a.sha}...${b.sha}`, permalink_url: `${WEB}/${repo.owner}/${repo.name}/compare/${a.sha}...${b.sha}`, diff_url: `${WEB}/${repo.owner}/${repo.name}/compare/${a.sha}...${b.sha}.diff`, patch_url: `${WEB}/${repo.owner}/${repo.name}/compare/${a.sha}...${b.sha}.patch`, base_commit: this.commitJson(repo, a), merge_base_commit: this.commitJson(repo, a), status: to > from ? 'ahead' : to === from ? 'identical' : 'behind', ahead_by: Math.max(0, to - from), behind_by: Math.max(0, from - to), total_commits: commits.length, commits, files });
    }
    if (r.method === 'GET' && rest === '/commits') {
      const start = at(url.searchParams.get('sha'));
      const path = url.searchParams.get('path');
      const idx = start ? repo.commits.indexOf(start) : -1;
      const history = repo.commits.slice(0, idx + 1).reverse().filter((c) => !path || c.tree.get(path) !== (c.parent ? repo.commits.find((p) => p.sha === c.parent)!.tree.get(path) : undefined));
      const { slice, headers } = this.page(history.map((c) => this.commitJson(repo, c)), url);
      return answer(200, slice, headers);
    }
    if (rest === '/issues' && r.method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const creator = url.searchParams.get('creator');
      const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
      const list = [...repo.issues.values()].filter((i) => (state === 'all' || i.state === state) && (!creator || i.author === creator) && labels.every((l) => i.labels.includes(l))).sort((a, b) => b.number - a.number);
      const { slice, headers } = this.page(list.map((i) => this.issueJson(repo, i)), url);
      return answer(200, slice, headers);
    }
    // GitHub refuses an issue body longer than 65,536 characters.
    if ((rest === '/issues' && r.method === 'POST') || (/^\/issues\/\d+$/.test(rest) && r.method === 'PATCH')) {
      if (typeof r.body?.body === 'string' && r.body.body.length > 65_536) return answer(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }], documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue', status: '422' });
    }
    if (rest === '/issues' && r.method === 'POST') {
      const issue = this.addIssue(`${repo.owner}/${repo.name}`, { title: r.body.title, body: r.body.body ?? '', labels: r.body.labels ?? [], author: this.server.botLogin });
      return answer(201, this.issueJson(repo, issue));
    }
    if ((m = /^\/issues\/(\d+)$/.exec(rest)) && r.method === 'PATCH') {
      const issue = repo.issues.get(Number(m[1]));
      if (!issue) return notFound();
      if (r.body.body !== undefined) issue.body = r.body.body;
      if (r.body.state) issue.state = r.body.state;
      issue.updated_at = this.now();
      return answer(200, this.issueJson(repo, issue));
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest)) && r.method === 'POST') {
      const issue = repo.issues.get(Number(m[1]));
      if (!issue) return notFound();
      const id = this.nextId++;
      issue.comments.push({ id, body: r.body.body, author: this.server.botLogin });
      const t = this.now();
      return answer(201, { id, node_id: `IC_${id}`, url: `${base}/issues/comments/${id}`, html_url: `${WEB}/${repo.owner}/${repo.name}/issues/${issue.number}#issuecomment-${id}`, issue_url: `${base}/issues/${issue.number}`, body: r.body.body, user: user(this.server.botLogin, 41898282, 'Bot'), created_at: t, updated_at: t, author_association: 'NONE' });
    }
    return false;
  }
}
