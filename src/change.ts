import type { Deps } from './deps.ts';
import type { ChangeRef, DriftEvent } from './events.ts';
import type { GitHubApi } from './github/api.ts';
import { DriftGuardError } from './errors.ts';
import type { Git } from './git.ts';

/** The change under review: its unified diff, streamed, and the files at its head. */
export interface ChangeSource {
  readonly base: string;
  readonly head: string;
  /** The unified diff as raw chunks of text, streamed. */
  diffChunks(): AsyncIterable<Buffer>;
  readHead(path: string): Promise<string | undefined>;
  listHeadFiles(): Promise<string[]>;
  /** Paths the change touches (added, modified, deleted, both sides of a rename). */
  changedFiles(): Promise<string[]>;
  readBase(path: string): Promise<string | undefined>;
}

export function gitChange(git: Git, base: string, head: string): ChangeSource {
  let listing: Promise<string[]> | undefined;
  return {
    base,
    head,
    diffChunks: () =>
      git.stream(['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--unified=3', '-M', '--src-prefix=a/', '--dst-prefix=b/', base, head, '--']),
    readHead: (path) => git.show(head, path),
    listHeadFiles: () => (listing ??= git.listFiles(head)),
    readBase: (path) => git.show(base, path),
    changedFiles: async () => (await git.run(['-c', 'core.quotePath=false', 'diff', '--name-only', '--no-renames', '-z', base, head, '--'])).split('\0').filter(Boolean),
  };
}

/** The change as GitHub serves it: the pull request's diff and files at its commits. */
export function githubChange(api: GitHubApi, pr: number, base: string, head: string): ChangeSource {
  let listing: Promise<string[]> | undefined;
  return {
    base,
    head,
    async *diffChunks() {
      yield Buffer.from(await api.pullDiff(pr));
    },
    readHead: (path) => api.fileAt(path, head),
    readBase: (path) => api.fileAt(path, base),
    listHeadFiles: () => (listing ??= api.treeFiles(head)),
    changedFiles: () => api.listPullFiles(pr),
  };
}

/**
 * Local git when the clone has both commits; otherwise, for a pull request on GitHub, the GitHub
 * API (a shallow checkout is the Actions default).
 */
export async function changeSourceFor(ref: ChangeRef, git: Git, github?: () => Promise<{ api: GitHubApi; pr: number } | undefined>): Promise<ChangeSource> {
  if (ref.kind !== 'git') throw new DriftGuardError('usage', 'this event carries no change to read (expected a pull request)');
  const found = await Promise.all([ref.base, ref.head].map((sha) => git.resolve(sha).catch(() => '')));
  const missing = (['base', 'head'] as const).flatMap((what, i) => (found[i] ? [] : [`the ${what} commit ${(i === 0 ? ref.base : ref.head).slice(0, 12)}`]));
  if (missing.length === 0) return gitChange(git, ref.base, ref.head);
  const remote = await github?.().catch(() => undefined);
  if (remote) return githubChange(remote.api, remote.pr, ref.base, ref.head);
  throw new DriftGuardError('git_failed', `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not in the local clone at ${git.cwd}, and the GitHub API is not available (no GITHUB_TOKEN); check out with full history (actions/checkout with fetch-depth: 0) or pass the token`);
}

/** The GitHub side of changeSourceFor, for steps that run on a pull request. */
export function githubFor(ctx: { event: DriftEvent; deps: Deps }): () => Promise<{ api: GitHubApi; pr: number } | undefined> {
  return async () => {
    const { event, deps } = ctx;
    if (!event.repo || !event.pr || !deps.env.GITHUB_TOKEN) return undefined;
    return { api: await deps.github(event.repo), pr: event.pr.number };
  };
}
