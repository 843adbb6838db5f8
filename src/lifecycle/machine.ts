import { setup, transition as nextSnapshot, type AnyStateMachine } from 'xstate';
import { parseDuration } from '../duration.ts';
import type { Lifecycle, Transition, TriggerKind } from './schema.ts';

/** What GitHub says, read before the machine runs (guards in xstate are synchronous and pure). */
export interface Facts {
  /** The roles the event's actor holds (teams API, collaborators permission API). */
  roles: string[];
  /** Approving reviewers on the head commit: key "*" for all, else per role. */
  approvals: Record<string, number>;
  /** The latest conclusion of each named check run on the head commit (null: still running; absent: none). */
  checks: Record<string, string | null>;
  /** Verdicts read from check runs' output. */
  verdicts: Record<string, { verdict?: string; confidence?: number }>;
}

/** One event as the lifecycle machine sees it: the trigger's kind and data, who, and the facts. */
export interface LifecycleEvent {
  type: TriggerKind;
  actor: string;
  /** label: the state whose label was added. */
  toState?: string;
  /** command: the command word, its first word after it, and all of its first line after the command. */
  command?: string;
  args?: string;
  rest?: string;
  /** marker: the marker names in the head commit's message, with their hashes. */
  markers?: Record<string, string>;
  review?: string;
  check?: string;
  workflow?: string;
  conclusion?: string;
  /** timeout: how long the pull request has been in its state, in ms. */
  elapsedMs?: number;
  facts: Facts;
}

export type Assessment = { ok: true } | { ok: false; stage: 'trigger' | 'role' | 'guard'; rule: string };

const pct = (n: number) => `${n}%`;

/** The trigger in words: "/verify PASS", "check gates: failure", "after 4h". */
export function describeTrigger(t: Transition, stateLabel?: (state: string) => string): string {
  switch (t.on) {
    case 'label':
      return `label ${stateLabel ? stateLabel(t.to) : t.to} added`;
    case 'command':
      return `${t.command}${t.args ? ` ${t.args}` : ''}${t.reason ? ' with a reason' : ''}`;
    case 'marker':
      return `marker ${t.marker} in the head commit`;
    case 'push':
      return 'new commits';
    case 'review':
      return `review ${t.review}`;
    case 'check':
      return `check ${t.check} ${(t.conclusion ?? ['success']).join(' or ')}`;
    case 'workflow':
      return `workflow ${t.workflow} ${(t.conclusion ?? ['success']).join(' or ')}`;
    case 'timeout':
      return `after ${t.after}`;
    default:
      return t.on;
  }
}

/** The guards and roles in words, for edges, checks and replies. */
export function describeGuards(t: Transition): string[] {
  const parts: string[] = [];
  if (t.roles.length > 0) parts.push(`by ${t.roles.join(' or ')}`);
  const a = t.require.approvals;
  if (a) parts.push(`${a.count} approval${a.count === 1 ? '' : 's'}${a.role ? ` by ${a.role}` : ''}`);
  if (t.require.checks.length > 0) parts.push(`${t.require.checks.join(', ')} passing`);
  const v = t.require.verdict;
  if (v) parts.push(`${v.check} verdict ${v.is}${v.min_confidence > 0 ? ` with confidence >= ${pct(v.min_confidence)}` : ''}`);
  return parts;
}

/** The written reason a command carries: its line after the command (and after its `args` word, when the transition has one). */
export function reasonFor(t: Transition, event: LifecycleEvent): string {
  const rest = (event.rest ?? '').trim();
  return (t.args ? rest.replace(/^\S+\s*/, '') : rest).trim();
}

/**
 * Whether transition `t` is taken by `event`: its trigger matches, the actor holds one of its
 * roles, and every guard holds. Pure; the first failing part is named.
 */
export function assess(t: Transition, event: LifecycleEvent): Assessment {
  const miss = (rule: string): Assessment => ({ ok: false, stage: 'trigger', rule });
  if (event.type !== t.on) return miss('another event');
  switch (t.on) {
    case 'label':
      if (event.toState !== t.to) return miss('another label');
      break;
    case 'command':
      if (event.command !== t.command) return miss('another command');
      if (t.args && (event.args ?? '').toLowerCase() !== t.args.toLowerCase()) return miss('other arguments');
      break;
    case 'marker':
      if (!t.marker || !event.markers?.[t.marker]) return miss('no marker');
      break;
    case 'review':
      if (event.review !== t.review) return miss('another review');
      break;
    case 'check':
    case 'workflow':
      if ((t.on === 'check' ? event.check : event.workflow) !== (t.on === 'check' ? t.check : t.workflow)) return miss('another run');
      if (!(t.conclusion ?? ['success']).includes((event.conclusion ?? '') as never)) return miss('another conclusion');
      break;
    case 'timeout':
      if ((event.elapsedMs ?? -1) < (parseDuration(t.after ?? '') ?? Infinity)) return miss('not yet timed out');
      break;
    default:
      break;
  }
  if (t.roles.length > 0 && !t.roles.some((r) => event.facts.roles.includes(r))) {
    return { ok: false, stage: 'role', rule: `only ${t.roles.join(' or ')} may do this (${describeTrigger(t)})` };
  }
  const guard = (rule: string): Assessment => ({ ok: false, stage: 'guard', rule });
  if (t.reason && reasonFor(t, event).length < 3) return guard(`${t.command} needs a written reason after its words`);
  const a = t.require.approvals;
  if (a && (event.facts.approvals[a.role ?? '*'] ?? 0) < a.count) {
    return guard(`needs ${a.count} approval${a.count === 1 ? '' : 's'}${a.role ? ` by ${a.role}` : ''} on the head commit, has ${event.facts.approvals[a.role ?? '*'] ?? 0}`);
  }
  for (const check of t.require.checks) {
    const conclusion = event.facts.checks[check];
    if (conclusion !== 'success') return guard(`needs check ${check} to pass on the head commit (${conclusion === undefined ? 'it has not run' : conclusion === null ? 'it is still running' : `it concluded ${conclusion}`})`);
  }
  const v = t.require.verdict;
  if (v) {
    const got = event.facts.verdicts[v.check];
    if (got?.verdict !== v.is) return guard(`needs verdict ${v.is} from check ${v.check} (${got?.verdict ? `it says ${got.verdict}` : 'it states none'})`);
    if ((got.confidence ?? -1) < v.min_confidence) return guard(`needs confidence >= ${pct(v.min_confidence)} from check ${v.check} (${got.confidence === undefined ? 'it states none' : `it says ${pct(got.confidence)}`})`);
  }
  return { ok: true };
}

/**
 * The lifecycle as an xstate machine: one state per declared state (final ones final), one
 * transition per declared transition, each behind the guard `transition` whose parameters name
 * it. The same machine is run (`advance`) and drawn (`driftguard graph --lifecycle`).
 */
export function buildLifecycleMachine(lifecycle: Lifecycle): AnyStateMachine {
  const states: Record<string, object> = {};
  for (const [name, state] of Object.entries(lifecycle.states)) {
    if (state.final) {
      states[name] = { type: 'final' };
      continue;
    }
    const on: Record<string, object[]> = {};
    state.transitions.forEach((t, index) => {
      // Edge text for Mermaid: state names rather than label text, and none of the characters that end a description.
      const label = [describeTrigger(t), ...describeGuards(t)].join(', ').replace(/[;#:]/g, ' ');
      (on[t.on] ??= []).push({ target: t.to, guard: { type: 'transition', params: { from: name, index, label } } });
    });
    states[name] = { on };
  }
  return setup({
    types: { events: {} as LifecycleEvent },
    guards: {
      transition: ({ event }, params: { from: string; index: number }) => assess(lifecycle.states[params.from]!.transitions[params.index]!, event).ok,
    },
  }).createMachine({ id: 'driftguard', initial: lifecycle.initial, states } as never) as unknown as AnyStateMachine;
}

export interface Advance {
  to: string;
  /** The transition taken, when one was. */
  taken?: { index: number; transition: Transition };
  /** Why the transitions the trigger matched were not taken (role or guard), in declared order. */
  refused: Array<{ index: number; transition: Transition; stage: 'role' | 'guard'; rule: string }>;
}

/** Runs one event through the machine from state `from`. */
export function advance(machine: AnyStateMachine, lifecycle: Lifecycle, from: string, event: LifecycleEvent): Advance {
  const [next] = nextSnapshot(machine, machine.resolveState({ value: from, context: {} }), event);
  const to = String(next.value);
  const candidates = lifecycle.states[from]?.transitions ?? [];
  const refused: Advance['refused'] = [];
  let taken: Advance['taken'];
  candidates.forEach((transition, index) => {
    const verdict = assess(transition, event);
    if (verdict.ok) {
      if (!taken && transition.to === to) taken = { index, transition };
    } else if (verdict.stage !== 'trigger') refused.push({ index, transition, stage: verdict.stage, rule: verdict.rule });
  });
  return { to, taken, refused };
}
