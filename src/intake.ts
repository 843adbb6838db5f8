import { readFile, stat } from 'node:fs/promises';
import * as z from 'zod';
import { DriftGuardError } from './errors.ts';
import { EVENT_NAMES, isEventName, PR_EVENTS, type ChangeRef, type DriftEvent, type EventName } from './events.ts';
import type { Git } from './git.ts';
import { didYouMean } from './suggest.ts';

const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

const Repository = z.looseObject({
  full_name: z.string(),
  name: z.string(),
  owner: z.looseObject({ login: z.string() }),
  default_branch: z.string().optional(),
});
const User = z.looseObject({ login: z.string(), type: z.string().optional() });

const PullRequestPayload = z.looseObject({
  action: z.string(),
  repository: Repository,
  sender: User.optional(),
  pull_request: z.looseObject({
    number: z.number().int().positive(),
    title: z.string().optional(),
    draft: z.boolean().optional(),
    merged: z.boolean().nullable().optional(),
    user: User,
    head: z.looseObject({ sha: z.string().regex(/^[0-9a-f]{7,64}$/), ref: z.string() }),
    base: z.looseObject({ sha: z.string().regex(/^[0-9a-f]{7,64}$/), ref: z.string() }),
  }),
});

const IssueCommentPayload = z.looseObject({
  action: z.enum(['created', 'edited', 'deleted']),
  repository: Repository,
  sender: User.optional(),
  issue: z.looseObject({ number: z.number().int().positive(), pull_request: z.looseObject({}).nullable().optional() }),
  comment: z.looseObject({
    id: z.number().int(),
    body: z.string().nullable().transform((b) => b ?? ''),
    user: User,
    created_at: z.string(),
    updated_at: z.string(),
  }),
});

const ReviewPayload = z.looseObject({
  action: z.string(),
  repository: Repository,
  sender: User.optional(),
  review: z.looseObject({ id: z.number().int(), state: z.string(), user: User, commit_id: z.string().nullable().optional() }),
});

const RunPulls = z.array(z.looseObject({ number: z.number().int().positive() })).default([]);
const CheckRunPayload = z.looseObject({
  action: z.string(),
  repository: Repository,
  sender: User.optional(),
  check_run: z.looseObject({
    id: z.number().int(),
    name: z.string(),
    status: z.string(),
    conclusion: z.string().nullable(),
    head_sha: z.string(),
    pull_requests: RunPulls,
    app: z.looseObject({ slug: z.string().optional() }).nullable().optional(),
  }),
});
const WorkflowRunPayload = z.looseObject({
  action: z.string(),
  repository: Repository,
  sender: User.optional(),
  workflow_run: z.looseObject({ id: z.number().int(), name: z.string().nullable(), status: z.string(), conclusion: z.string().nullable(), head_sha: z.string(), pull_requests: RunPulls }),
});

const PushPayload = z.looseObject({
  ref: z.string(),
  after: z.string(),
  before: z.string().optional(),
  repository: Repository,
  sender: User.optional(),
  pusher: z.looseObject({ name: z.string() }).optional(),
});

const AnyPayload = z.looseObject({ repository: Repository.optional(), sender: User.optional() });

const PR_ACTIONS: Partial<Record<EventName, string>> = {
  pr_opened: 'opened',
  pr_synchronize: 'synchronize',
  pr_reopened: 'reopened',
  pr_closed: 'closed',
  pr_labeled: 'labeled',
  pr_unlabeled: 'unlabeled',
};

function repoOf(repository: z.infer<typeof Repository> | undefined) {
  if (!repository) return undefined;
  return { owner: repository.owner.login, name: repository.name, fullName: repository.full_name, defaultBranch: repository.default_branch };
}

/** The workflow's repository from GITHUB_REPOSITORY ("owner/name"); undefined when unset or malformed. */
function repoFromEnv(env: Readonly<Record<string, string | undefined>>) {
  const full = env.GITHUB_REPOSITORY ?? '';
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(full);
  return m ? { owner: m[1]!, name: m[2]!, fullName: full } : undefined;
}

function payloadProblem(source: string, kind: string, error: z.ZodError): DriftGuardError {
  const details = error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  return new DriftGuardError('payload_invalid', `${source}: the payload is not a valid ${kind} event`, { details });
}

/** Reads a JSON payload file, refusing what is not a JSON object. */
export async function readPayload(file: string): Promise<unknown> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new DriftGuardError('payload_invalid', `${file}: cannot read the payload: no such file`);
  }
  if (!info.isFile()) throw new DriftGuardError('payload_invalid', `${file}: the payload must be a file`);
  if (info.size > MAX_PAYLOAD_BYTES) throw new DriftGuardError('payload_invalid', `${file}: the payload is larger than 25 MiB`);
  const text = await readFile(file, 'utf8');
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
    return value;
  } catch (err) {
    throw new DriftGuardError('payload_invalid', `${file}: the payload is not a JSON object: ${(err as Error).message}`);
  }
}

/** Maps a GitHub webhook event name and action to DriftGuard's event, or undefined when it has none. */
export function eventForGitHub(githubEvent: string, payload: unknown): EventName | undefined {
  const action = (payload as { action?: unknown })?.action;
  switch (githubEvent) {
    case 'pull_request':
    case 'pull_request_target':
      return (Object.entries(PR_ACTIONS).find(([, a]) => a === action)?.[0] as EventName | undefined) ?? undefined;
    case 'issue_comment':
      return 'pr_comment';
    case 'pull_request_review':
      return action === 'submitted' ? 'pr_review' : undefined;
    case 'check_run':
      return action === 'completed' ? 'check_run' : undefined;
    case 'workflow_run':
      return action === 'requested' || action === 'completed' ? 'workflow_run' : undefined;
    case 'push':
      return 'push';
    case 'schedule':
      return 'schedule';
    case 'workflow_dispatch':
      return 'dispatch';
    case 'repository_dispatch':
      return (payload as { action?: string }).action === 'driftguard-downstream-result' ? 'downstream_result' : 'dispatch';
    default:
      return undefined;
  }
}

export interface IntakeOptions {
  event: EventName;
  payload?: unknown;
  payloadSource?: string;
  source: 'cli' | 'github';
  git: Git;
  env: Readonly<Record<string, string | undefined>>;
  base?: string;
  head?: string;
}

async function localChange(git: Git, base: string | undefined, head: string | undefined): Promise<ChangeRef> {
  await git.probe([head ?? 'HEAD', ...(base !== undefined ? [base] : [])], base !== undefined ? { mergeBaseOf: [base, head ?? 'HEAD'] } : {});
  if (!(await git.isRepository())) {
    throw new DriftGuardError('usage', `${git.cwd} is not a git repository; a pull request check outside GitHub compares two git refs (--base, --head)`);
  }
  const headRef = head ?? 'HEAD';
  const baseRef = base ?? (await git.defaultBranch());
  const headSha = await git.resolve(headRef).catch(() => '');
  if (!headSha) throw new DriftGuardError('usage', `--head ${headRef} is not a commit in ${git.cwd}`);
  const baseSha = await git.resolve(baseRef).catch(() => '');
  if (!baseSha) throw new DriftGuardError('usage', `--base ${baseRef} is not a commit in ${git.cwd}`);
  const mergeBase = await git.mergeBase(baseSha, headSha).catch(() => '');
  if (!mergeBase) throw new DriftGuardError('usage', `${baseRef} and ${headRef} share no history; cannot compute the change`);
  return { kind: 'git', cwd: git.cwd, base: mergeBase, head: headSha };
}

/** Normalises what arrived (a GitHub payload, or CLI flags on local git) into one DriftEvent. */
export async function intake(options: IntakeOptions): Promise<DriftEvent> {
  const { event, payload, env, git } = options;
  const where = options.payloadSource ?? 'payload';
  const actorFromEnv = env.GITHUB_ACTOR ?? env.USER ?? 'unknown';

  if (payload === undefined) {
    if (PR_EVENTS.includes(event)) {
      const change = await localChange(git, options.base, options.head);
      return { name: event, source: options.source, actor: actorFromEnv, sha: change.kind === 'git' ? change.head : undefined, change };
    }
    if (event === 'pr_comment' || event === 'pr_closed' || event === 'pr_labeled' || event === 'pr_unlabeled' || event === 'pr_review' || event === 'check_run' || event === 'workflow_run') {
      throw new DriftGuardError('usage', `--event ${event} needs the GitHub payload it came with (--payload FILE)`);
    }
    // Inside Actions an event given on the command line still belongs to the workflow's repository.
    const repo = repoFromEnv(env);
    return { name: event, source: options.source, actor: actorFromEnv, ...(repo ? { repo } : {}), ...(env.GITHUB_SHA ? { sha: env.GITHUB_SHA } : {}), change: { kind: 'none' } };
  }

  if (event in PR_ACTIONS) {
    const parsed = PullRequestPayload.safeParse(payload);
    if (!parsed.success) throw payloadProblem(where, 'pull_request', parsed.error);
    const p = parsed.data;
    if (p.action !== PR_ACTIONS[event]) {
      throw new DriftGuardError('payload_invalid', `${where}: a pull_request "${p.action}" payload cannot drive --event ${event} (expected action "${PR_ACTIONS[event]}")`);
    }
    const pr = p.pull_request;
    const change: ChangeRef = event === 'pr_closed' ? { kind: 'none' } : { kind: 'git', cwd: git.cwd, base: options.base ?? pr.base.sha, head: options.head ?? pr.head.sha };
    return {
      name: event,
      source: options.source,
      actor: p.sender?.login ?? actorFromEnv,
      repo: repoOf(p.repository),
      sha: pr.head.sha,
      ref: pr.head.ref,
      pr: {
        number: pr.number,
        title: pr.title ?? '',
        author: pr.user.login,
        headSha: pr.head.sha,
        baseSha: pr.base.sha,
        headRef: pr.head.ref,
        baseRef: pr.base.ref,
        draft: pr.draft ?? false,
        merged: pr.merged ?? undefined,
      },
      ...(event === 'pr_labeled' || event === 'pr_unlabeled' ? { label: (payload as { label?: { name?: unknown } }).label?.name === undefined ? '' : String((payload as { label: { name: unknown } }).label.name) } : {}),
      change,
      payload,
    };
  }

  if (event === 'pr_review') {
    const parsed = z.looseObject({ pull_request: PullRequestPayload.shape.pull_request }).and(ReviewPayload).safeParse(payload);
    if (!parsed.success) throw payloadProblem(where, 'pull_request_review', parsed.error);
    const p = parsed.data;
    const pr = p.pull_request;
    return {
      name: event,
      source: options.source,
      actor: p.sender?.login ?? p.review.user.login,
      repo: repoOf(p.repository),
      sha: pr.head.sha,
      ref: pr.head.ref,
      pr: { number: pr.number, title: pr.title ?? '', author: pr.user.login, headSha: pr.head.sha, baseSha: pr.base.sha, headRef: pr.head.ref, baseRef: pr.base.ref, draft: pr.draft ?? false },
      review: { id: p.review.id, state: p.review.state.toLowerCase(), author: p.review.user.login, authorType: p.review.user.type ?? 'User', commitId: p.review.commit_id ?? '' },
      change: { kind: 'none' },
      payload,
    };
  }

  if (event === 'check_run' || event === 'workflow_run') {
    const parsed = (event === 'check_run' ? CheckRunPayload : WorkflowRunPayload).safeParse(payload);
    if (!parsed.success) throw payloadProblem(where, event, parsed.error);
    const p = parsed.data as z.infer<typeof CheckRunPayload> & z.infer<typeof WorkflowRunPayload>;
    const r = event === 'check_run' ? p.check_run : p.workflow_run;
    return {
      name: event,
      source: options.source,
      actor: p.sender?.login ?? actorFromEnv,
      repo: repoOf(p.repository),
      sha: r.head_sha,
      run: {
        kind: event === 'check_run' ? 'check' : 'workflow',
        id: r.id,
        name: r.name ?? '',
        status: r.status,
        conclusion: r.conclusion,
        headSha: r.head_sha,
        pulls: r.pull_requests.map((x) => x.number),
        ...(event === 'check_run' && p.check_run.app?.slug ? { app: p.check_run.app.slug } : {}),
      },
      change: { kind: 'none' },
      payload,
    };
  }

  if (event === 'pr_comment') {
    const parsed = IssueCommentPayload.safeParse(payload);
    if (!parsed.success) throw payloadProblem(where, 'issue_comment', parsed.error);
    const p = parsed.data;
    return {
      name: event,
      source: options.source,
      actor: p.sender?.login ?? p.comment.user.login,
      repo: repoOf(p.repository),
      comment: {
        id: p.comment.id,
        action: p.action,
        body: p.comment.body,
        author: p.comment.user.login,
        authorType: p.comment.user.type ?? 'User',
        onPullRequest: Boolean(p.issue.pull_request),
        issueNumber: p.issue.number,
        createdAt: p.comment.created_at,
        updatedAt: p.comment.updated_at,
      },
      change: { kind: 'none' },
      payload,
    };
  }

  if (event === 'push') {
    const parsed = PushPayload.safeParse(payload);
    if (!parsed.success) throw payloadProblem(where, 'push', parsed.error);
    const p = parsed.data;
    const created = !p.before || /^0+$/.test(p.before);
    const change: ChangeRef = created ? { kind: 'none' } : { kind: 'git', cwd: git.cwd, base: p.before!, head: p.after };
    return { name: event, source: options.source, actor: p.sender?.login ?? p.pusher?.name ?? actorFromEnv, repo: repoOf(p.repository), sha: p.after, ref: p.ref, change, payload };
  }

  const parsed = AnyPayload.safeParse(payload);
  if (!parsed.success) throw payloadProblem(where, event, parsed.error);
  const p = parsed.data as z.infer<typeof AnyPayload> & { inputs?: Record<string, unknown>; client_payload?: Record<string, unknown> };
  return {
    name: event,
    source: options.source,
    actor: p.sender?.login ?? actorFromEnv,
    // A scheduled run's event file holds only `schedule`: the repository is the workflow's own.
    repo: repoOf(p.repository) ?? repoFromEnv(env),
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    inputs: p.inputs ?? p.client_payload,
    change: { kind: 'none' },
    payload,
  };
}

export function parseEventName(value: string): EventName {
  if (isEventName(value)) return value;
  throw new DriftGuardError('usage', `unknown event "${value}"${didYouMean(value, EVENT_NAMES)}; events are ${EVENT_NAMES.join(', ')}`);
}
