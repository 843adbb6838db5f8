import type { DriftEvent, EventName, RepoRef } from '../events.ts';
import type { Policy } from '../policy/schema.ts';
import type { PullRefs } from './actions-api.ts';

/**
 * A pull request event built from GitHub's answers about the pull request (never from an
 * artifact or a comment): its head and base as they are now. The change is read from the local
 * clone when it has both commits, else from the API, as data.
 */
export function pullEvent(name: EventName, repo: RepoRef, pull: PullRefs, actor: string, cwd: string): DriftEvent {
  return {
    name,
    source: 'github',
    actor,
    repo,
    sha: pull.headSha,
    ref: pull.headRef,
    pr: { number: pull.number, title: pull.title, author: pull.author, headSha: pull.headSha, baseSha: pull.baseSha, headRef: pull.headRef, baseRef: pull.baseRef, draft: pull.draft },
    change: { kind: 'git', cwd, base: pull.baseSha, head: pull.headSha },
  };
}

/** The pull request workflow a re-evaluation runs: the synchronize one, else opened, else reopened. */
export function pullWorkflow(policy: Policy): EventName | undefined {
  return (['pr_synchronize', 'pr_opened', 'pr_reopened'] as const).find((e) => (policy.workflows[e] ?? []).length > 0);
}
