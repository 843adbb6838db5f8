import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Deps } from '../../src/deps-types.ts';
import { parseDuration } from '../../src/duration.ts';
import { DriftGuardError } from '../../src/errors.ts';
import { GITHUB_TIMEOUT_MS, GitHubTimeoutError, type Write } from '../../src/github/api.ts';

/** One cached GET answer: its validator and what GitHub sent with it. */
interface CachedAnswer {
  etag: string;
  headers: Record<string, string>;
  body: string;
  /** When a request last used it (ms since the epoch): entries unused for `maxIdleMs` are dropped on save. */
  used: number;
}

/** Cached answers unused this long are dropped: contents are read at commit SHAs, so old ones pile up. */
export const ETAG_MAX_IDLE_MS = 14 * 24 * 3_600_000;

/** A made-up Response keeps the URL asked for: Octokit reads `response.url` (pagination of comparisons). */
const withUrl = (response: Response, url: string) => Object.defineProperty(response, 'url', { value: url });

/** Headers a cached answer must keep for Octokit to read it as the original (pagination, media type). */
const KEPT_HEADERS = ['content-type', 'link', 'etag'];

/**
 * Conditional requests for GET: each answer with an `ETag` is kept (body and the headers Octokit
 * reads), the next identical GET (same URL and Accept) sends `If-None-Match`, and a 304 is answered
 * from the cache as the 200 it stands for. GitHub does not count a 304 against the rate limit.
 * The cache is a JSON file that a workflow can keep between runs with actions/cache.
 */
export class EtagCache {
  private entries = new Map<string, CachedAnswer>();
  private changed = false;
  /** Requests sent (retries included), and answers 304 served from the cache. */
  readonly stats = { requests: 0, notModified: 0 };

  constructor(
    readonly file?: string,
    private readonly now: () => number = Date.now,
    private readonly maxIdleMs = ETAG_MAX_IDLE_MS,
  ) {}

  /** Reads the cache file; a missing or unreadable file is an empty cache (a first run). */
  async load(): Promise<void> {
    if (!this.file) return;
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as { version?: number; entries?: Record<string, CachedAnswer> };
      if (data.version === 1 && data.entries) this.entries = new Map(Object.entries(data.entries).filter(([, e]) => typeof e?.etag === 'string' && typeof e.body === 'string' && typeof e.used === 'number'));
    } catch {
      this.entries = new Map();
    }
  }

  /** Writes the cache file atomically when something changed, without entries idle past `maxIdleMs`. */
  async save(): Promise<void> {
    const oldest = this.now() - this.maxIdleMs;
    for (const [key, entry] of this.entries) {
      if (entry.used < oldest) {
        this.entries.delete(key);
        this.changed = true;
      }
    }
    if (!this.file || !this.changed) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }));
    await rename(temp, this.file);
    this.changed = false;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A fetch that revalidates cached GETs and keeps new validators. */
  wrap(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      this.stats.requests++;
      const method = (init?.method ?? 'GET').toUpperCase();
      const url = String(input instanceof Request ? input.url : input);
      const headers = new Headers(init?.headers);
      const key = `${headers.get('accept') ?? ''} ${url}`;
      const cached = method === 'GET' ? this.entries.get(key) : undefined;
      if (cached) headers.set('if-none-match', cached.etag);
      const response = await inner(input, { ...init, headers });
      if (method !== 'GET') return response;
      if (response.status === 304 && cached) {
        this.stats.notModified++;
        cached.used = this.now();
        this.changed = true;
        return withUrl(new Response(cached.body, { status: 200, headers: cached.headers }), url);
      }
      const etag = response.headers.get('etag');
      if (response.status === 200 && etag) {
        const body = await response.text();
        const kept: Record<string, string> = {};
        for (const name of KEPT_HEADERS) {
          const value = response.headers.get(name);
          if (value !== null) kept[name] = value;
        }
        this.entries.set(key, { etag, headers: kept, body, used: this.now() });
        this.changed = true;
        return withUrl(new Response(body, { status: 200, headers: response.headers }), url);
      }
      if (response.status === 404 && cached) {
        this.entries.delete(key);
        this.changed = true;
      }
      return response;
    };
  }
}

export interface OrgRepo {
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  archived: boolean;
}

/** Classic protection of a branch, or the same settings read from the rulesets that apply to it. */
export interface ProtectionSettings {
  requiredReviews: number;
  dismissStaleReviews: boolean;
  enforceAdmins: boolean;
  statusChecks: string[];
}

export interface RepoIssue {
  number: number;
  title: string;
  body: string;
  state: string;
  labels: string[];
  author: string;
}

export interface ChangedFile {
  filename: string;
  status: string;
  patch?: string;
}

/** The GitHub reads and writes of a standards scan, across the repositories of an organisation. */
export interface OrgGitHub {
  readonly cache: EtagCache;
  listOrgRepos(org: string): Promise<OrgRepo[]>;
  /** A repository by name; undefined when it does not exist or is not visible. */
  getRepo(fullName: string): Promise<OrgRepo | undefined>;
  branchHead(repo: OrgRepo): Promise<string>;
  /** A file's text at a ref; undefined when absent. */
  file(repo: OrgRepo, path: string, ref: string): Promise<string | undefined>;
  /** Classic branch protection; undefined when GitHub answers 404 (protection off). */
  classicProtection(repo: OrgRepo): Promise<ProtectionSettings | undefined>;
  /** The rules that apply to the default branch from every active ruleset, merged (strictest wins); undefined when none. */
  rulesetProtection(repo: OrgRepo): Promise<ProtectionSettings | undefined>;
  /** GitHub's own CODEOWNERS check; undefined when GitHub finds no CODEOWNERS file. */
  codeownersErrors(repo: OrgRepo): Promise<Array<{ line: number; column: number; kind: string; path: string; message: string }> | undefined>;
  labels(repo: OrgRepo): Promise<string[]>;
  /** Commits and files from `base` to `head`; undefined when GitHub cannot compare them (base unknown). */
  compare(repo: OrgRepo, base: string, head: string): Promise<{ commits: Array<{ sha: string; message: string }>; files: ChangedFile[] } | undefined>;
  /** Commits (newest first, at most 100) on `head`'s history that touched `path`. */
  commitsTouching(repo: OrgRepo, head: string, path: string): Promise<string[]>;
  /** Open issues (not pull requests) created by `creator` and/or carrying `label`. */
  openIssuesBy(repo: { owner: string; name: string }, creator: string | undefined, label?: string): Promise<RepoIssue[]>;
  searchIssues(query: string): Promise<Array<{ repository: string; number: number; author: string; labels: string[] }>>;
  write(write: Write): Promise<{ id?: number; number?: number; status: number }>;
}

const status = (err: unknown) => (err as { status?: number }).status;

async function orNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (status(err) === 404) return undefined;
    throw err;
  }
}

/** fetch with a time-out on every request. */
function timedFetch(ms: number): typeof fetch {
  return async (url, init) => {
    const timer = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timer]) : timer;
    try {
      return await fetch(url, { ...init, signal });
    } catch (err) {
      if (timer.aborted) throw new GitHubTimeoutError(`GitHub did not answer ${init?.method ?? 'GET'} ${new URL(String(url)).pathname} in time`, { cause: err });
      throw err;
    }
  };
}

const toRepo = (r: { name: string; full_name: string; owner: { login: string } | null; default_branch?: string; archived?: boolean }): OrgRepo => ({
  owner: r.owner?.login ?? r.full_name.split('/')[0]!,
  name: r.name,
  fullName: r.full_name,
  defaultBranch: r.default_branch ?? 'main',
  archived: r.archived === true,
});

/**
 * Octokit with the retry and throttling plugins (as src/github/api.ts builds it), the token in
 * `tokenEnv`, GITHUB_API_URL, a time-out per request, and the ETag cache in front of fetch.
 * @throws DriftGuardError('usage') when the token is missing
 */
export async function createOrgGitHub(deps: Deps, options: { tokenEnv: string; cache: EtagCache }): Promise<OrgGitHub> {
  const token = deps.env[options.tokenEnv];
  if (!token) throw new DriftGuardError('usage', `${options.tokenEnv} is not set; the standards scan reads the organisation through the GitHub API`);
  const [{ Octokit }, { retry }, { throttling }] = await Promise.all([import('@octokit/rest'), import('@octokit/plugin-retry'), import('@octokit/plugin-throttling')]);
  const Client = Octokit.plugin(retry, throttling);
  const log = deps.log.child({ component: 'github', module: 'standards' });
  const cache = options.cache;
  const octokit = new Client({
    auth: token,
    baseUrl: (deps.endpoints.github ?? 'https://api.github.com').replace(/\/$/, ''),
    userAgent: 'driftguard',
    request: { fetch: cache.wrap(timedFetch(parseDuration(deps.env.DRIFTGUARD_GITHUB_TIMEOUT ?? '') ?? GITHUB_TIMEOUT_MS)) },
    retry: { retries: 3, doNotRetry: [304, 400, 401, 403, 404, 406, 409, 410, 422, 451, 501] },
    throttle: {
      onRateLimit: (retryAfter: number, o: { url: string }, _x: unknown, retryCount: number) => {
        log.warn({ retryAfter, url: o.url, retryCount }, 'GitHub rate limit hit');
        return retryCount < 2 && retryAfter <= 60;
      },
      onSecondaryRateLimit: (retryAfter: number, o: { url: string }, _x: unknown, retryCount: number) => {
        log.warn({ retryAfter, url: o.url, retryCount }, 'GitHub secondary rate limit hit');
        return retryCount < 1 && retryAfter <= 60;
      },
    },
    log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
  });

  return {
    cache,
    async listOrgRepos(org) {
      const repos = await octokit.paginate(octokit.rest.repos.listForOrg, { org, type: 'all', per_page: 100 });
      return repos.map(toRepo);
    },
    async getRepo(fullName) {
      const [owner, repo] = fullName.split('/') as [string, string];
      return orNotFound(async () => toRepo((await octokit.rest.repos.get({ owner, repo })).data));
    },
    async branchHead(repo) {
      const { data } = await octokit.rest.repos.getBranch({ owner: repo.owner, repo: repo.name, branch: repo.defaultBranch });
      return data.commit.sha;
    },
    async file(repo, path, ref) {
      return orNotFound(async () => {
        const response = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: repo.owner, repo: repo.name, path, ref, mediaType: { format: 'raw' } });
        return typeof response.data === 'string' ? response.data : undefined;
      });
    },
    async classicProtection(repo) {
      return orNotFound(async () => {
        const { data } = await octokit.rest.repos.getBranchProtection({ owner: repo.owner, repo: repo.name, branch: repo.defaultBranch });
        const reviews = data.required_pull_request_reviews;
        const checks = data.required_status_checks;
        return {
          requiredReviews: reviews?.required_approving_review_count ?? 0,
          dismissStaleReviews: reviews?.dismiss_stale_reviews ?? false,
          enforceAdmins: data.enforce_admins?.enabled ?? false,
          statusChecks: [...new Set([...(checks?.contexts ?? []), ...(checks?.checks ?? []).map((c) => c.context)])],
        };
      });
    },
    async rulesetProtection(repo) {
      const rules = (await orNotFound(() => octokit.paginate(octokit.rest.repos.getBranchRules, { owner: repo.owner, repo: repo.name, branch: repo.defaultBranch, per_page: 100 }))) ?? [];
      if (rules.length === 0) return undefined;
      const out: ProtectionSettings = { requiredReviews: 0, dismissStaleReviews: false, enforceAdmins: false, statusChecks: [] };
      for (const rule of rules as Array<{ type: string; parameters?: Record<string, unknown> }>) {
        if (rule.type === 'pull_request') {
          out.requiredReviews = Math.max(out.requiredReviews, Number(rule.parameters?.required_approving_review_count ?? 0));
          out.dismissStaleReviews ||= rule.parameters?.dismiss_stale_reviews_on_push === true;
        }
        if (rule.type === 'required_status_checks') {
          const checks = (rule.parameters?.required_status_checks ?? []) as Array<{ context: string }>;
          out.statusChecks = [...new Set([...out.statusChecks, ...checks.map((c) => c.context)])];
        }
      }
      // A ruleset binds administrators unless it lists a bypass actor; this endpoint does not say
      // which, so rulesets alone never count as "admins included".
      return out;
    },
    async codeownersErrors(repo) {
      return orNotFound(async () => (await octokit.rest.repos.codeownersErrors({ owner: repo.owner, repo: repo.name, ref: repo.defaultBranch })).data.errors.map((e) => ({ line: e.line, column: e.column, kind: e.kind, path: e.path, message: e.message ?? e.kind })));
    },
    async labels(repo) {
      const labels = await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { owner: repo.owner, repo: repo.name, per_page: 100 });
      return labels.map((l) => l.name);
    },
    async compare(repo, base, head) {
      try {
        const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: repo.owner, repo: repo.name, basehead: `${base}...${head}`, per_page: 100 });
        return { commits: data.commits.map((c) => ({ sha: c.sha, message: c.commit.message })), files: (data.files ?? []).map((f) => ({ filename: f.filename, status: f.status, ...(f.patch ? { patch: f.patch } : {}) })) };
      } catch (err) {
        if (status(err) === 404 || status(err) === 422) return undefined;
        throw err;
      }
    },
    async commitsTouching(repo, head, path) {
      const { data } = await octokit.rest.repos.listCommits({ owner: repo.owner, repo: repo.name, sha: head, path, per_page: 100 });
      return data.map((c) => c.sha);
    },
    async openIssuesBy(repo, creator, label) {
      const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: repo.owner, repo: repo.name, state: 'open', ...(creator ? { creator } : {}), ...(label ? { labels: label } : {}), per_page: 100 });
      return issues
        .filter((i) => !i.pull_request)
        .map((i) => ({ number: i.number, title: i.title, body: i.body ?? '', state: i.state, labels: i.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))), author: i.user?.login ?? '' }));
    },
    async searchIssues(q) {
      const items = await octokit.paginate(octokit.rest.search.issuesAndPullRequests, { q, per_page: 100 });
      return items.map((i) => ({
        repository: i.repository_url.replace(/^.*\/repos\//, ''),
        number: i.number,
        author: i.user?.login ?? '',
        labels: i.labels.map((l) => l.name ?? ''),
      }));
    },
    async write({ method, path, body }) {
      const response = await octokit.request(`${method} ${path}`, deps.redactor.scrubValue(body));
      const data = response.data as { id?: number; number?: number } | undefined;
      return { id: data?.id, number: data?.number, status: response.status };
    },
  };
}
