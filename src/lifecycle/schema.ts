import * as z from 'zod';
import { Duration } from '../policy/types.ts';

/** GitHub permission levels, lowest first (kept here so the lifecycle schema does not import the policy schema). */
const LEVELS = ['read', 'triage', 'write', 'maintain', 'admin'] as const;

/** What can start a transition. Each kind reads its own parameters (see `TRIGGER_PARAMS`). */
export const TRIGGERS = ['label', 'command', 'marker', 'push', 'review', 'check', 'workflow', 'timeout', 'merged', 'closed'] as const;
export type TriggerKind = (typeof TRIGGERS)[number];

/** The parameters each trigger needs (first list) and may take (second list). */
export const TRIGGER_PARAMS: Record<TriggerKind, [required: string[], optional: string[]]> = {
  label: [[], []],
  command: [['command'], ['args']],
  marker: [['marker'], []],
  push: [[], []],
  review: [['review'], []],
  check: [['check'], ['conclusion']],
  workflow: [['workflow'], ['conclusion']],
  timeout: [['after'], []],
  merged: [[], []],
  closed: [[], []],
};

const Name = z.string().regex(/^[a-z][a-z0-9_]*$/, { error: (iss) => `expected a name of lowercase letters, digits and "_" starting with a letter, got ${JSON.stringify(iss.input)}` });
const Team = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected "org/team-slug"' });
/** A check run's or workflow's name as GitHub shows it. */
const CheckName = z.string().min(1).max(200);

/** A GitHub App's slug, as check runs name it (`github-actions` for Actions jobs). */
const AppSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, { error: 'expected a GitHub App slug such as "github-actions"' });

/**
 * A check run or workflow the lifecycle reads: its name, or its name and the GitHub App whose runs
 * count. Without `app`, a run of that name from any app or workflow counts; with it, only that
 * app's (anyone whose code can post a check run, a workflow a pull request edits included, could
 * otherwise post one under the same name).
 */
export const CheckSource = z.union([CheckName, z.strictObject({ name: CheckName, app: AppSlug.describe('Only check runs this GitHub App posted count.') })]);
export type CheckSource = z.infer<typeof CheckSource>;

/** Check names of a lifecycle, with the app each must come from when one is named. */
export function checkSources(lifecycle: Pick<Lifecycle, 'checks'>): Map<string, string | undefined> {
  const sources = new Map<string, string | undefined>();
  // A name listed twice is refused when the policy loads; the first listing is the one that counts.
  for (const c of lifecycle.checks) if (!sources.has(typeof c === 'string' ? c : c.name)) sources.set(typeof c === 'string' ? c : c.name, typeof c === 'string' ? undefined : c.app);
  return sources;
}

export const Conclusion = z.enum(['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required', 'stale', 'started']);

export const Role = z
  .strictObject({
    teams: z.array(Team).default([]).describe('Members of any of these teams hold the role (teams API).'),
    permission: z.enum(LEVELS).optional().describe('Anyone with at least this repository permission holds the role (collaborators permission API).'),
  })
  .describe('Who holds a role: team members, or a least repository permission.');
export type Role = z.infer<typeof Role>;

export const Requirements = z
  .strictObject({
    approvals: z
      .strictObject({
        count: z.number().int().min(1).max(50),
        role: Name.optional().describe('Count only approvals by holders of this role.'),
      })
      .optional()
      .describe('At least `count` approving reviews (each reviewer\'s latest review counts, on the head commit).'),
    checks: z.array(CheckName).default([]).describe('Check runs whose latest run on the head commit must have succeeded.'),
    verdict: z
      .strictObject({
        check: CheckName,
        is: z.enum(['PASS', 'FAIL']).default('PASS'),
        min_confidence: z.number().min(0).max(100).default(0).describe('Percent; the check\'s output must state at least this confidence.'),
      })
      .optional()
      .describe('A verdict read from a check run\'s output: lines "verdict: PASS" and "confidence: 92%".'),
  })
  .describe('Guards: all must hold for the transition to be taken.');
export type Requirements = z.infer<typeof Requirements>;

export const Transition = z
  .strictObject({
    // A plain string to zod, so that the policy rules can say "did you mean"; an enum for editors.
    on: z.string().meta({ enum: [...TRIGGERS] }).describe(`What starts it: ${TRIGGERS.join(', ')}.`),
    to: z.string().describe('The state it leads to.'),
    command: z.string().regex(/^\/[a-z][a-z0-9-]*$/, { error: 'expected a command such as "/verify"' }).optional(),
    args: z.string().regex(/^[A-Za-z0-9_-]+$/).optional().describe('The command\'s first word, e.g. PASS (compared case-insensitively).'),
    marker: z.string().regex(/^[A-Z][A-Z0-9_-]*$/, { error: 'expected a marker name such as "BUILD-READY"' }).optional().describe('[MARKER:<hash>] in the head commit\'s message.'),
    review: z.enum(['approved', 'changes_requested', 'commented']).optional(),
    check: CheckName.optional(),
    workflow: CheckName.optional(),
    conclusion: z.array(Conclusion).min(1).optional().describe('Conclusions that start it (default: success); "started" is a workflow run being requested.'),
    after: Duration.optional().describe('How long the pull request may stay in the state (read from the label\'s timeline).'),
    roles: z.array(Name).default([]).describe('Who may start it: holders of any of these roles (empty: anyone).'),
    require: Requirements.prefault({}),
    reason: z.boolean().default(false).describe('A command must carry a written reason after its words.'),
    request_review: z.array(Team).default([]).describe('Teams asked for a review when it is taken.'),
    why: z.string().max(200).optional().describe('What it means, for the audit trail and the status comment.'),
  })
  .describe('One transition out of a state.');
export type Transition = z.infer<typeof Transition>;

export const LifecycleState = z
  .strictObject({
    label: z.string().min(1).max(50).describe('The GitHub label that shows the state (at most 50 characters, GitHub\'s limit).'),
    mergeable: z.boolean().default(false).describe('driftguard/lifecycle is green only in mergeable states.'),
    final: z.boolean().default(false),
    next: z.string().max(300).optional().describe('What is needed next, shown in the check and the status comment.'),
    transitions: z.array(Transition).max(32).default([]),
  })
  .describe('One state of the lifecycle.');
export type LifecycleState = z.infer<typeof LifecycleState>;

export const Lifecycle = z
  .strictObject({
    description: z.string().max(500).optional(),
    branches: z.array(z.string().min(1)).default(['**']).describe('Base branches (globs) whose pull requests follow this lifecycle; the first lifecycle that matches applies.'),
    initial: z.string(),
    roles: z.record(Name, Role).default({}),
    checks: z.array(CheckSource).default([]).describe('The check runs and workflows the lifecycle reads, each a name or { name, app }; any other name is refused. A verdict is read only from a check with its app named.'),
    states: z.record(Name, LifecycleState),
  })
  .describe('A pull request lifecycle: a statechart of labelled states, enforced by the driftguard/lifecycle check.');
export type Lifecycle = z.infer<typeof Lifecycle>;

export const Lifecycles = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, { error: 'expected a lifecycle name such as "dual-lane"' }), Lifecycle).default({});
export type Lifecycles = z.infer<typeof Lifecycles>;
