import type { Deps } from '../deps-types.ts';
import { DriftGuardError } from '../errors.ts';
import type { RepoRef } from '../events.ts';

/** A workflow run as GitHub describes it: where its commit came from, and which PRs it names. */
export interface WorkflowRun {
  id: number;
  event: string;
  headSha: string;
  headBranch: string;
  /** owner/name of the repository the head commit came from (a fork's, for a fork's PR). */
  headRepository: string;
  htmlUrl: string;
  actor: string;
  /** Empty for pull requests from forks: GitHub fills it only for the repository's own branches. */
  pullRequests: Array<{ number: number; headSha: string }>;
}

export interface RunArtifact {
  id: number;
  name: string;
  sizeInBytes: number;
  expired: boolean;
}

/** A pull request's refs, as GitHub has them now. */
export interface PullRefs {
  number: number;
  state: string;
  title: string;
  author: string;
  draft: boolean;
  headSha: string;
  headRef: string;
  headRepository: string;
  baseSha: string;
  baseRef: string;
  baseRepository: string;
}

/** The calls of the Actions and pulls APIs that the publisher and the override job need. */
export interface ActionsApi {
  getWorkflowRun(id: number): Promise<WorkflowRun>;
  listRunArtifacts(id: number): Promise<RunArtifact[]>;
  /** The artifact's zip, read to at most maxBytes. */
  downloadArtifact(id: number, maxBytes: number): Promise<Buffer>;
  getPullRefs(number: number): Promise<PullRefs | undefined>;
  /** Open pull requests whose head is `branch` of a repository owned by `owner`. */
  findOpenPulls(owner: string, branch: string): Promise<PullRefs[]>;
}

const TIMEOUT_MS = 30_000;

export function createActionsApi(deps: Deps, repo: RepoRef, tokenEnv = 'GITHUB_TOKEN'): ActionsApi {
  const token = deps.env[tokenEnv];
  if (!token) throw new DriftGuardError('usage', `${tokenEnv} is not set; DriftGuard needs it to read the workflow run and publish its verdict`);
  const api = (deps.endpoints.github ?? 'https://api.github.com').replace(/\/$/, '');
  const base = `${api}/repos/${repo.owner}/${repo.name}`;
  const headers = { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'driftguard', 'x-github-api-version': '2022-11-28' };

  const get = async <T>(path: string): Promise<T | undefined> => {
    const response = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw Object.assign(new Error(`GitHub answered ${response.status} to GET ${path}`), { status: response.status });
    return (await response.json()) as T;
  };

  type RawRun = { id: number; event: string; head_sha: string; head_branch: string | null; html_url: string; actor?: { login: string } | null; head_repository?: { full_name: string } | null; pull_requests?: Array<{ number: number; head: { sha: string } }> | null };
  type RawPull = { number: number; state: string; title?: string | null; draft?: boolean; user?: { login: string } | null; head: { sha: string; ref: string; repo?: { full_name: string } | null }; base: { sha: string; ref: string; repo?: { full_name: string } | null } };

  const toRefs = (pull: RawPull): PullRefs => ({
    number: pull.number,
    state: pull.state,
    title: pull.title ?? '',
    author: pull.user?.login ?? '',
    draft: pull.draft ?? false,
    headSha: pull.head.sha,
    headRef: pull.head.ref,
    headRepository: pull.head.repo?.full_name ?? '',
    baseSha: pull.base.sha,
    baseRef: pull.base.ref,
    baseRepository: pull.base.repo?.full_name ?? repo.fullName,
  });

  return {
    async getWorkflowRun(id) {
      const run = await get<RawRun>(`/actions/runs/${id}`);
      if (!run) throw new DriftGuardError('payload_invalid', `workflow run ${id} does not exist in ${repo.fullName}; nothing was published`);
      return {
        id: run.id,
        event: run.event,
        headSha: run.head_sha,
        headBranch: run.head_branch ?? '',
        headRepository: run.head_repository?.full_name ?? '',
        htmlUrl: run.html_url,
        actor: run.actor?.login ?? 'unknown',
        pullRequests: (run.pull_requests ?? []).map((p) => ({ number: p.number, headSha: p.head.sha })),
      };
    },
    async listRunArtifacts(id) {
      const found: RunArtifact[] = [];
      for (let page = 1; page <= 10; page++) {
        const data = await get<{ total_count: number; artifacts: Array<{ id: number; name: string; size_in_bytes: number; expired: boolean }> }>(`/actions/runs/${id}/artifacts?per_page=100&page=${page}`);
        const artifacts = data?.artifacts ?? [];
        found.push(...artifacts.map((a) => ({ id: a.id, name: a.name, sizeInBytes: a.size_in_bytes, expired: a.expired })));
        if (artifacts.length < 100) break;
      }
      return found;
    },
    async downloadArtifact(id, maxBytes) {
      // GitHub answers with a redirect to short-lived storage; the token goes to GitHub only.
      const first = await fetch(`${base}/actions/artifacts/${id}/zip`, { headers, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
      let response = first;
      if (first.status >= 300 && first.status < 400) {
        const location = first.headers.get('location');
        if (!location) throw new Error(`GitHub answered ${first.status} without a location for artifact ${id}`);
        response = await fetch(location, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      }
      if (!response.ok || !response.body) throw Object.assign(new Error(`GitHub answered ${response.status} to the download of artifact ${id}`), { status: response.status });
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > maxBytes) throw new ArtifactTooLarge(declared, maxBytes);
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > maxBytes) throw new ArtifactTooLarge(total, maxBytes);
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks);
    },
    async getPullRefs(number) {
      const pull = await get<RawPull>(`/pulls/${number}`);
      return pull ? toRefs(pull) : undefined;
    },
    async findOpenPulls(owner, branch) {
      const found: PullRefs[] = [];
      const head = encodeURIComponent(`${owner}:${branch}`);
      for (let page = 1; page <= 10; page++) {
        const pulls = (await get<RawPull[]>(`/pulls?state=open&head=${head}&per_page=100&page=${page}`)) ?? [];
        found.push(...pulls.map(toRefs));
        if (pulls.length < 100) break;
      }
      return found;
    },
  };
}

export class ArtifactTooLarge extends Error {
  constructor(readonly bytes: number, readonly limit: number) {
    super(`the artifact is over ${limit} bytes (at least ${bytes})`);
  }
}
