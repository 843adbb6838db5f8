import type { Deps } from '../deps-types.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { DriftGuardError } from '../errors.ts';
import { PERMISSIONS } from '../policy/schema.ts';
import type { RepoRef } from '../events.ts';

export interface IssueComment {
  id: number;
  body: string;
  author: string;
  authorType: string;
  createdAt: string;
  updatedAt: string;
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  conclusion: 'success' | 'failure' | 'neutral' | 'action_required';
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
}

/** A DriftGuard result already on a commit: a check run, or a commit status where checks are not permitted. */
export interface CommitResult {
  kind: 'check' | 'status';
  id: number;
  name: string;
  failing: boolean;
  /** When GitHub recorded it (server time, which a committer cannot forge). */
  at: string;
}

/** A write DriftGuard made, or would have made in dry-run. */
export interface Write {
  method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  body: Record<string, unknown>;
}

export interface CheckRunDetail {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  externalId: string | null;
  startedAt: string;
  summary: string;
  text: string;
  /** The slug of the GitHub App that posted it (`github-actions` for Actions jobs); null when GitHub names none. */
  app: string | null;
}

/** The slice of the GitHub REST API DriftGuard uses; reads go to GitHub, writes through `write`. */
export interface GitHubApi {
  readonly repo: RepoRef;
  getPull(number: number): Promise<{ number: number; headSha: string; author: string; state: string; body: string; merged: boolean; mergeCommitSha: string | null }>;
  /** Reviews of a pull request, oldest first. */
  listReviews(number: number): Promise<Array<{ user: string; userType: string; state: string; commitId: string }>>;
  listPullFiles(number: number): Promise<string[]>;
  listIssueComments(number: number): Promise<IssueComment[]>;
  getComment(id: number): Promise<IssueComment | undefined>;
  /** The commenter's role (read, triage, write, maintain, admin) or "none". */
  getPermission(user: string): Promise<string>;
  isTeamMember(team: string, user: string): Promise<boolean>;
  /** DriftGuard's own check runs and statuses on a commit (names starting with "driftguard/"), latest per name. */
  listResults(sha: string): Promise<CommitResult[]>;
  /** Check runs of one name on a commit, newest first. */
  listCheckRuns(sha: string, name: string): Promise<CheckRunDetail[]>;
  listOpenPulls(): Promise<Array<{ number: number; headSha: string }>>;
  /** The pull request's unified diff, as GitHub renders it. */
  pullDiff(number: number): Promise<string>;
  /** A file's content at a commit, or undefined when it does not exist there. */
  fileAt(path: string, ref: string): Promise<string | undefined>;
  /** Every file path at a commit. */
  treeFiles(sha: string): Promise<string[]>;
  /** The head commit's committer date (ISO 8601): set by whoever made the commit, so only a lower bound. */
  commitDate(sha: string): Promise<string>;
  /** When GitHub created each check suite of a commit (server time), oldest first. */
  checkSuiteTimes(sha: string): Promise<string[]>;
  /** A pull request's or issue's events (`head_ref_force_pushed`, `reopened`, ...) with server times, oldest first. */
  listIssueEvents(number: number): Promise<Array<{ event: string; createdAt: string }>>;
  /** Open issues (not pull requests) carrying a label. */
  listOpenIssues(label: string): Promise<Array<{ number: number; title: string; body: string }>>;
  /** The labels on an issue or pull request now. */
  listLabels(number: number): Promise<string[]>;
  /** Who added or removed which label, when (server time), oldest first. */
  listLabelEvents(number: number): Promise<Array<{ event: 'labeled' | 'unlabeled'; label: string; actor: string; createdAt: string }>>;
  /** A commit's full message. */
  commitMessage(sha: string): Promise<string>;
  write(write: Write): Promise<{ id?: number; status: number }>;
}

/**
 * One file of the pull request files API as a unified diff section (git's headers, then GitHub's
 * `patch`). A file GitHub sends no patch for (binary, or too large) gets its headers only.
 */
export function patchAsDiff(f: { filename: string; previous_filename?: string; status: string; patch?: string }): string {
  const from = f.previous_filename ?? f.filename;
  const lines = [`diff --git a/${from} b/${f.filename}`];
  if (f.status === 'added') lines.push('new file mode 100644', '--- /dev/null', `+++ b/${f.filename}`);
  else if (f.status === 'removed') lines.push('deleted file mode 100644', `--- a/${from}`, '+++ /dev/null');
  else lines.push(`--- a/${from}`, `+++ b/${f.filename}`);
  if (f.patch) lines.push(f.patch);
  return `${lines.join('\n')}\n`;
}

/** Error statuses GitHub uses for "this token may not do that". */
export function isForbidden(err: unknown): boolean {
  const status = (err as { status?: number }).status;
  return status === 403 || status === 404;
}

/**
 * A GitHub request that got no answer in time. Named `AbortError` so that Octokit passes it through
 * as it is and its retry plugin does not multiply the wait.
 */
export class GitHubTimeoutError extends Error {
  override name = 'AbortError';
  readonly code = 'ETIMEDOUT';
  readonly timeout = true;
}

export const isTimeout = (err: unknown): boolean => (err as { timeout?: unknown } | undefined)?.timeout === true;

/** Default time-out of one GitHub request; `DRIFTGUARD_GITHUB_TIMEOUT` (a duration such as "20s") changes it. */
export const GITHUB_TIMEOUT_MS = 30_000;

/** fetch with a time-out on every request (headers and body). */
function timedFetch(ms: number): typeof fetch {
  return async (url, init) => {
    const timer = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timer]) : timer;
    try {
      return await fetch(url, { ...init, signal });
    } catch (err) {
      if (timer.aborted) {
        const path = new URL(String(url instanceof Request ? url.url : url)).pathname;
        throw new GitHubTimeoutError(`GitHub did not answer ${init?.method ?? 'GET'} ${path} within ${formatDuration(ms)}`, { cause: err });
      }
      throw err;
    }
  };
}

/**
 * Octokit with the retry and throttling plugins, token from GITHUB_TOKEN, API URL from
 * GITHUB_API_URL, and a time-out on every request (30 s, or DRIFTGUARD_GITHUB_TIMEOUT).
 * Errors: `DriftGuardError` (usage) when the token is missing; Octokit's `RequestError` for
 * answers; `GitHubTimeoutError` for a request with no answer in time.
 */
export async function createGitHubApi(deps: Deps, repo: RepoRef, tokenEnv = 'GITHUB_TOKEN'): Promise<GitHubApi> {
  const token = deps.env[tokenEnv];
  if (!token) throw new DriftGuardError('usage', `${tokenEnv} is not set; DriftGuard needs it to read and report on GitHub (or run with --dry-run)`);
  const [{ Octokit }, { retry }, { throttling }] = await Promise.all([import('@octokit/rest'), import('@octokit/plugin-retry'), import('@octokit/plugin-throttling')]);
  const Client = Octokit.plugin(retry, throttling);
  const log = deps.log.child({ component: 'github' });
  const octokit = new Client({
    auth: token,
    baseUrl: (deps.endpoints.github ?? 'https://api.github.com').replace(/\/$/, ''),
    userAgent: 'driftguard',
    request: { fetch: timedFetch(parseDuration(deps.env.DRIFTGUARD_GITHUB_TIMEOUT ?? '') ?? GITHUB_TIMEOUT_MS) },
    // 406 (a diff too large to render) and 501 are answers, not accidents: asking again changes nothing.
    retry: { retries: 3, doNotRetry: [400, 401, 403, 404, 406, 409, 410, 422, 451, 501] },
    throttle: {
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ retryAfter, url: options.url, retryCount }, 'GitHub rate limit hit');
        return retryCount < 2 && retryAfter <= 60;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log.warn({ retryAfter, url: options.url, retryCount }, 'GitHub secondary rate limit hit');
        return retryCount < 1 && retryAfter <= 60;
      },
    },
    log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
  });
  const owner = repo.owner;
  const name = repo.name;
  const toComment = (c: { id: number; body?: string | null; user?: { login: string; type?: string } | null; created_at: string; updated_at: string }): IssueComment => ({
    id: c.id,
    body: c.body ?? '',
    author: c.user?.login ?? '',
    authorType: c.user?.type ?? 'User',
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  });

  return {
    repo,
    async getPull(number) {
      const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
      return { number: data.number, headSha: data.head.sha, author: data.user?.login ?? '', state: data.state, body: data.body ?? '', merged: data.merged ?? false, mergeCommitSha: data.merge_commit_sha ?? null };
    },
    async listReviews(number) {
      const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { owner, repo: name, pull_number: number, per_page: 100 });
      return reviews.map((r) => ({ user: r.user?.login ?? '', userType: r.user?.type ?? 'User', state: r.state, commitId: r.commit_id ?? '' }));
    },
    async listPullFiles(number) {
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo: name, pull_number: number, per_page: 100 });
      // GitHub lists at most 3,000 files of a pull request: fewer than it changed is not the whole change.
      const { data: pull } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
      if (typeof pull.changed_files === 'number' && files.length < pull.changed_files) {
        throw new DriftGuardError('run_incomplete', `GitHub lists ${files.length} of the ${pull.changed_files} files this pull request changes (its files API stops at 3,000)`);
      }
      return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
    },
    async listIssueComments(number) {
      const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo: name, issue_number: number, per_page: 100 });
      return comments.map(toComment);
    },
    async getComment(id) {
      try {
        const { data } = await octokit.rest.issues.getComment({ owner, repo: name, comment_id: id });
        return toComment(data);
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
    async getPermission(user) {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo: name, username: user });
        // A custom repository role has its own name: rank it by the base permission it inherits.
        const role = (data as { role_name?: string }).role_name;
        return role && (PERMISSIONS as readonly string[]).includes(role) ? role : data.permission;
      } catch (err) {
        if ((err as { status?: number }).status === 404) return 'none';
        throw err;
      }
    },
    async isTeamMember(team, user) {
      const [org, slug] = team.split('/') as [string, string];
      try {
        const { data } = await octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: user });
        return data.state === 'active';
      } catch (err) {
        if (isForbidden(err)) return false;
        throw err;
      }
    },
    async listResults(sha) {
      const latest = new Map<string, CommitResult>();
      const keep = (result: CommitResult) => {
        const seen = latest.get(result.name);
        if (!seen || seen.at < result.at) latest.set(result.name, result);
      };
      try {
        const runs = await octokit.paginate(octokit.rest.checks.listForRef, { owner, repo: name, ref: sha, per_page: 100 });
        for (const r of runs) {
          if (!r.name.startsWith('driftguard/')) continue;
          keep({ kind: 'check', id: r.id, name: r.name, failing: r.conclusion === 'failure', at: r.completed_at ?? r.started_at ?? '' });
        }
      } catch (err) {
        if (!isForbidden(err)) throw err;
      }
      const statuses = await octokit.paginate(octokit.rest.repos.listCommitStatusesForRef, { owner, repo: name, ref: sha, per_page: 100 });
      for (const s of statuses) {
        if (!s.context.startsWith('driftguard/')) continue;
        keep({ kind: 'status', id: s.id, name: s.context, failing: s.state === 'failure' || s.state === 'error', at: s.created_at });
      }
      return [...latest.values()];
    },
    async listCheckRuns(sha, checkName) {
      const runs = await octokit.paginate(octokit.rest.checks.listForRef, { owner, repo: name, ref: sha, check_name: checkName, per_page: 100 });
      return runs
        .map((r) => ({ id: r.id, name: r.name, status: r.status, conclusion: r.conclusion, externalId: r.external_id ?? null, startedAt: r.started_at ?? '', summary: r.output?.summary ?? '', text: r.output?.text ?? '', app: r.app?.slug ?? null }))
        .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : b.id - a.id));
    },
    async listOpenPulls() {
      const pulls = await octokit.paginate(octokit.rest.pulls.list, { owner, repo: name, state: 'open', per_page: 100 });
      return pulls.map((p) => ({ number: p.number, headSha: p.head.sha }));
    },
    async pullDiff(number) {
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo: name, pull_number: number, mediaType: { format: 'diff' } });
        return response.data as unknown as string;
      } catch (err) {
        if ((err as { status?: number }).status !== 406) throw err;
      }
      // 406 too_large: GitHub renders no diff past 300 files or 20,000 lines. The files API gives each file's patch.
      log.warn({ pr: number }, 'GitHub refuses this pull request\'s diff as too large (406); reading it file by file');
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo: name, pull_number: number, per_page: 100 });
      return files.map((f) => patchAsDiff(f)).join('');
    },
    async fileAt(path, ref) {
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { owner, repo: name, path, ref, mediaType: { format: 'raw' } });
        return typeof response.data === 'string' ? response.data : undefined;
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
    async treeFiles(sha) {
      const { data } = await octokit.rest.git.getTree({ owner, repo: name, tree_sha: sha, recursive: 'true' });
      if (data.truncated) log.warn({ sha }, 'the repository tree is larger than GitHub lists in one answer; docs beyond it are not searched');
      return data.tree.filter((t) => t.type === 'blob' && t.path).map((t) => t.path!);
    },
    async commitDate(sha) {
      const { data } = await octokit.rest.repos.getCommit({ owner, repo: name, ref: sha, per_page: 1 });
      return data.commit.committer?.date ?? data.commit.author?.date ?? '';
    },
    async checkSuiteTimes(sha) {
      const suites = await octokit.paginate(octokit.rest.checks.listSuitesForRef, { owner, repo: name, ref: sha, per_page: 100 });
      return suites.map((s) => s.created_at ?? '').filter(Boolean).sort();
    },
    async listIssueEvents(number) {
      const events = await octokit.paginate(octokit.rest.issues.listEvents, { owner, repo: name, issue_number: number, per_page: 100 });
      return events.map((e) => ({ event: e.event, createdAt: e.created_at })).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    },
    async listOpenIssues(label) {
      const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo: name, state: 'open', labels: label, per_page: 100 });
      return issues.filter((i) => !i.pull_request).map((i) => ({ number: i.number, title: i.title, body: i.body ?? '' }));
    },
    async listLabels(number) {
      const labels = await octokit.paginate(octokit.rest.issues.listLabelsOnIssue, { owner, repo: name, issue_number: number, per_page: 100 });
      return labels.map((l) => l.name);
    },
    async listLabelEvents(number) {
      const events = await octokit.paginate(octokit.rest.issues.listEvents, { owner, repo: name, issue_number: number, per_page: 100 });
      return events
        .filter((e) => (e.event === 'labeled' || e.event === 'unlabeled') && (e as { label?: { name?: string } }).label?.name)
        .map((e) => ({ event: e.event as 'labeled' | 'unlabeled', label: (e as { label: { name: string } }).label.name, actor: e.actor?.login ?? '', createdAt: e.created_at }))
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    },
    async commitMessage(sha) {
      const { data } = await octokit.rest.repos.getCommit({ owner, repo: name, ref: sha, per_page: 1 });
      return data.commit.message;
    },
    async write({ method, path, body }) {
      // Everything DriftGuard writes to GitHub passes the redactor, like everything it prints.
      const response = await octokit.request(`${method} ${path}`, deps.redactor.scrubValue(body));
      return { id: (response.data as { id?: number } | undefined)?.id, status: response.status };
    },
  };
}
