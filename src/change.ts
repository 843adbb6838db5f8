import type { ChangeRef } from './events.ts';
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

export async function changeSourceFor(ref: ChangeRef, git: Git): Promise<ChangeSource> {
  if (ref.kind !== 'git') throw new DriftGuardError('usage', 'this event carries no change to read (expected a pull request)');
  for (const [what, sha] of [['base', ref.base], ['head', ref.head]] as const) {
    const found = await git.resolve(sha).catch(() => '');
    if (!found) {
      throw new DriftGuardError('git_failed', `the ${what} commit ${sha.slice(0, 12)} is not in the local clone at ${git.cwd}; check out with full history (actions/checkout with fetch-depth: 0)`);
    }
  }
  return gitChange(git, ref.base, ref.head);
}
