export const EVENT_NAMES = [
  'pr_opened',
  'pr_synchronize',
  'pr_reopened',
  'pr_closed',
  'pr_comment',
  'push',
  'schedule',
  'dispatch',
  'downstream_result',
  'pr_labeled',
  'pr_unlabeled',
  'pr_review',
  'check_run',
  'workflow_run',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export const PR_EVENTS: readonly EventName[] = ['pr_opened', 'pr_synchronize', 'pr_reopened'];

/** Events only pull request lifecycles read (`driftguard lifecycle`); no module handles them, so `driftguard run` has nothing to do for them. */
export const LIFECYCLE_EVENTS: readonly EventName[] = ['pr_labeled', 'pr_unlabeled', 'pr_review', 'check_run', 'workflow_run'];

export function isEventName(value: string): value is EventName {
  return (EVENT_NAMES as readonly string[]).includes(value);
}

export interface RepoRef {
  owner: string;
  name: string;
  fullName: string;
  defaultBranch?: string;
}

export interface PullRequestRef {
  number: number;
  title: string;
  author: string;
  headSha: string;
  baseSha: string;
  headRef: string;
  baseRef: string;
  draft: boolean;
  merged?: boolean;
}

export interface CommentRef {
  id: number;
  action: 'created' | 'edited' | 'deleted';
  body: string;
  author: string;
  authorType: string;
  onPullRequest: boolean;
  issueNumber: number;
  createdAt: string;
  updatedAt: string;
}

/** Where the change under review comes from: local git refs, or GitHub's diff for a pull request. */
export type ChangeRef =
  | { kind: 'git'; cwd: string; base: string; head: string }
  | { kind: 'none' };

/** One typed event, whatever brought it: the CLI, or a GitHub Actions run. */
export interface DriftEvent {
  name: EventName;
  source: 'cli' | 'github';
  actor: string;
  repo?: RepoRef;
  sha?: string;
  ref?: string;
  pr?: PullRequestRef;
  comment?: CommentRef;
  change: ChangeRef;
  /** workflow_dispatch inputs or repository_dispatch client_payload. */
  inputs?: Record<string, unknown>;
  /** pr_labeled, pr_unlabeled: the label added or removed. */
  label?: string;
  /** pr_review: the review submitted. */
  review?: { id: number; state: string; author: string; authorType: string; commitId: string };
  /** check_run (completed) and workflow_run (requested or completed): which run, how it ended, and the pull requests it ran for. */
  run?: { kind: 'check' | 'workflow'; id: number; name: string; status: string; conclusion: string | null; headSha: string; pulls: number[]; app?: string };
  /** The raw payload as received, kept for modules that need more than the normalised fields. */
  payload?: unknown;
}
