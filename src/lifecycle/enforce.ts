import picomatch from 'picomatch';
import type { DriftEvent } from '../events.ts';
import type { GitHubApi, Write } from '../github/api.ts';
import { isBot, permissionAtLeast } from '../github/override.ts';
import type { Logger } from '../log.ts';
import type { Policy } from '../policy/schema.ts';
import { inertCode, inertMarkdown, normaliseTyped } from '../report/inert.ts';
import { advance, buildLifecycleMachine, describeGuards, describeTrigger, reasonFor, type Facts, type LifecycleEvent } from './machine.ts';
import { checkSources, type Lifecycle, type Transition } from './schema.ts';

export const LIFECYCLE_CHECK = 'driftguard/lifecycle';
const statusMarker = (name: string) => `<!-- driftguard:lifecycle ${name} -->`;
const replyMarker = (name: string) => `<!-- driftguard:lifecycle-reply ${name} -->`;
/** [MARKER:<hash>] in a commit message: an upper-case name and a hexadecimal hash. */
const MARKER = /\[([A-Z][A-Z0-9_-]*):([0-9a-f]{7,64})\]/g;

/** One transition taken, as the audit artifact records it. */
export interface TransitionRecord {
  lifecycle: string;
  pr: number;
  from: string;
  to: string;
  by: string;
  at: string;
  why: string;
  trigger: string;
  reason?: string;
  marker?: string;
}

/** One attempt refused (a role or guard missing, a label no transition allows), and what was undone. */
export interface RefusalRecord {
  lifecycle: string;
  pr: number;
  state: string;
  by: string;
  at: string;
  rule: string;
  reverted?: string;
}

export interface LifecycleOutcome {
  transitions: TransitionRecord[];
  refusals: RefusalRecord[];
  /** Each pull request's state after the event. */
  states: Array<{ pr: number; lifecycle: string; state: string; mergeable: boolean }>;
  writes: Array<Write & { done: boolean }>;
  /** Why an event changed nothing (not a pull request, DriftGuard's own change, ...). */
  notes: string[];
}

/** A pull request's refs, as GitHub answers them now. */
export interface PullInfo {
  number: number;
  state: string;
  author: string;
  headSha: string;
  baseRef: string;
}

export interface EnforceInput {
  policy: Policy;
  event: DriftEvent;
  api: GitHubApi;
  /** The pull request now (never the payload's copy, which may be stale). */
  pull(number: number): Promise<PullInfo | undefined>;
  now: Date;
  dryRun: boolean;
  log: Logger;
}

/** The lifecycle a pull request into `baseRef` follows: the first whose branches match. */
export function lifecycleFor(policy: Policy, baseRef: string): [string, Lifecycle] | undefined {
  return Object.entries(policy.lifecycles ?? {}).find(([, l]) => l.branches.some((glob) => picomatch(glob)(baseRef)));
}

/** Parses "/verify PASS more words" on a comment's first line: the command, its first word, and the rest. */
export function parseLifecycleCommand(body: string): { command: string; args: string; rest: string } | undefined {
  const line = normaliseTyped(body).split(/\r?\n/)[0] ?? '';
  const m = /^(\/[a-z][a-z0-9-]*)(?:\s+(.*))?$/.exec(line.trim());
  if (!m) return undefined;
  const rest = (m[2] ?? '').trim();
  return { command: m[1]!, args: rest.split(/\s+/)[0] ?? '', rest };
}

/** A verdict in a check run's output: lines "verdict: PASS|FAIL" and "confidence: 92%". */
export function readVerdict(text: string): { verdict?: string; confidence?: number } {
  const verdict = /^\s*verdict:\s*(PASS|FAIL)\b/im.exec(text)?.[1]?.toUpperCase();
  const confidence = /^\s*confidence:\s*(\d{1,3}(?:\.\d+)?)\s*%?\s*$/im.exec(text)?.[1];
  return { ...(verdict ? { verdict } : {}), ...(confidence !== undefined && Number(confidence) <= 100 ? { confidence: Number(confidence) } : {}) };
}

/** The pull requests an event concerns. */
async function pullsOf(event: DriftEvent, api: GitHubApi): Promise<number[]> {
  if (event.pr) return [event.pr.number];
  if (event.name === 'pr_comment') return event.comment?.onPullRequest ? [event.comment.issueNumber] : [];
  if (event.run) {
    if (event.run.pulls.length > 0) return event.run.pulls;
    // A run for a fork's pull request lists none: find it by its head commit.
    return (await api.listOpenPulls()).filter((p) => p.headSha === event.run!.headSha).map((p) => p.number);
  }
  if (event.name === 'schedule' || event.name === 'dispatch') return (await api.listOpenPulls()).map((p) => p.number);
  return [];
}

/**
 * Applies one event to the lifecycle of every pull request it concerns. For each: the state is
 * rebuilt from GitHub (the state label on the pull request; with several, the one DriftGuard set
 * last by the label timeline; with none, the initial state), the event becomes a machine event
 * with the facts its guards need (roles by the teams and collaborators permission APIs, reviews,
 * check runs, the head commit's message), the machine decides, and DriftGuard sets the new
 * state's label, asks for reviews, updates one status comment and posts `driftguard/lifecycle`.
 * An attempt by someone without the role, or a state label set or removed by hand that no
 * transition allows, is undone and answered in one reply comment naming the rule. Comments,
 * reviews and label changes by the bot login are never read as commands.
 */
export async function enforceLifecycles(input: EnforceInput): Promise<LifecycleOutcome> {
  const { policy, event, api } = input;
  const out: LifecycleOutcome = { transitions: [], refusals: [], states: [], writes: [], notes: [] };
  const bot = policy.github.bot_login;
  if (event.actor === bot && (event.name === 'pr_labeled' || event.name === 'pr_unlabeled')) {
    out.notes.push('a label change DriftGuard made itself');
    return out;
  }
  if (event.name === 'pr_comment' && (!event.comment || event.comment.action !== 'created' || event.comment.author === bot || isBot(event.comment.author, event.comment.authorType))) {
    out.notes.push('not a new comment by a person');
    return out;
  }
  if (event.name === 'pr_review' && (!event.review || event.review.author === bot || isBot(event.review.author, event.review.authorType))) {
    out.notes.push('not a review by a person');
    return out;
  }
  if (event.run && event.run.name.startsWith('driftguard/')) {
    out.notes.push('DriftGuard\'s own check');
    return out;
  }
  for (const number of await pullsOf(event, api)) {
    const pull = await input.pull(number);
    if (!pull) continue;
    if (pull.state !== 'open' && event.name !== 'pr_closed') continue;
    const chosen = lifecycleFor(policy, pull.baseRef);
    if (!chosen) {
      out.notes.push(`#${number}: no lifecycle covers base branch ${pull.baseRef}`);
      continue;
    }
    await enforceOne(input, out, pull, chosen[0], chosen[1]);
  }
  return out;
}

async function enforceOne(input: EnforceInput, out: LifecycleOutcome, pull: PullInfo, name: string, lifecycle: Lifecycle): Promise<void> {
  const { policy, event, api, now } = input;
  const bot = policy.github.bot_login;
  const base = `/repos/${api.repo.owner}/${api.repo.name}`;
  const at = now.toISOString();
  const send = async (write: Write) => {
    if (input.dryRun) {
      out.writes.push({ ...write, done: false });
      return;
    }
    try {
      await api.write(write);
    } catch (err) {
      // Removing a label that is already gone is done.
      if (!(write.method === 'DELETE' && (err as { status?: number }).status === 404)) throw err;
    }
    out.writes.push({ ...write, done: true });
  };
  const addLabel = (label: string) => send({ method: 'POST', path: `${base}/issues/${pull.number}/labels`, body: { labels: [label] } });
  const removeLabel = (label: string) => send({ method: 'DELETE', path: `${base}/issues/${pull.number}/labels/${encodeURIComponent(label)}`, body: {} });

  const stateOfLabel = new Map(Object.entries(lifecycle.states).map(([s, def]) => [def.label.toLowerCase(), s]));
  const [labels, timeline] = await Promise.all([api.listLabels(pull.number), api.listLabelEvents(pull.number)]);
  const eventLabel = event.label?.toLowerCase();
  const eventState = eventLabel !== undefined ? stateOfLabel.get(eventLabel) : undefined;

  // The state now: the attempted label does not count; several labels: the one DriftGuard set last.
  let present = labels.filter((l) => stateOfLabel.has(l.toLowerCase()) && !(event.name === 'pr_labeled' && l.toLowerCase() === eventLabel));
  if (present.length === 0 && event.name === 'pr_unlabeled' && eventState) present = [event.label!];
  const lastByBot = (label: string) => timeline.filter((e) => e.event === 'labeled' && e.actor === bot && e.label.toLowerCase() === label.toLowerCase()).at(-1)?.createdAt ?? '';
  const current = present.length === 0 ? lifecycle.initial : stateOfLabel.get([...present].sort((a, b) => (lastByBot(b) > lastByBot(a) ? 1 : lastByBot(b) < lastByBot(a) ? -1 : 0))[0]!.toLowerCase())!;
  const currentLabel = lifecycle.states[current]!.label;
  // Entered when DriftGuard first set this label after it last set another state's: a label removed
  // by hand and restored does not restart the state's time.
  const isCurrent = (label: string) => label.toLowerCase() === currentLabel.toLowerCase();
  const lastOther = timeline.findLastIndex((e) => e.event === 'labeled' && e.actor === bot && stateOfLabel.has(e.label.toLowerCase()) && !isCurrent(e.label));
  const enteredAt =
    timeline.slice(lastOther + 1).find((e) => e.event === 'labeled' && e.actor === bot && isCurrent(e.label))?.createdAt ??
    timeline.filter((e) => e.event === 'labeled' && isCurrent(e.label)).at(-1)?.createdAt;

  // The machine events this GitHub event makes, tried in order until one moves.
  const tries: Array<Omit<LifecycleEvent, 'facts'>> = [];
  let attempt = false;
  let unlabeledByHand = false;
  switch (event.name) {
    case 'pr_opened':
    case 'pr_reopened':
    case 'pr_synchronize': {
      const message = await api.commitMessage(pull.headSha).catch(() => '');
      const markers = Object.fromEntries([...message.matchAll(MARKER)].map((m) => [m[1]!, m[2]!]));
      if (Object.keys(markers).length > 0) tries.push({ type: 'marker', actor: event.actor, markers });
      if (event.name === 'pr_synchronize') tries.push({ type: 'push', actor: event.actor });
      attempt = true;
      break;
    }
    case 'pr_labeled':
      if (eventState) {
        tries.push({ type: 'label', actor: event.actor, toState: eventState });
        attempt = true;
      }
      break;
    case 'pr_unlabeled':
      unlabeledByHand = eventState === current;
      break;
    case 'pr_review':
      tries.push({ type: 'review', actor: event.actor, review: event.review!.state });
      break;
    case 'pr_comment': {
      const parsed = parseLifecycleCommand(event.comment!.body);
      if (parsed && Object.values(lifecycle.states).some((s) => s.transitions.some((t) => t.on === 'command' && t.command === parsed.command))) {
        tries.push({ type: 'command', actor: event.comment!.author, command: parsed.command, args: parsed.args, rest: parsed.rest });
        attempt = true;
      }
      break;
    }
    case 'check_run':
    case 'workflow_run': {
      const run = event.run!;
      if (run.headSha !== pull.headSha) {
        out.notes.push(`#${pull.number}: ${run.kind} ${run.name} ran on ${run.headSha.slice(0, 12)}, not the head`);
        break;
      }
      const app = checkSources(lifecycle).get(run.name);
      if (run.kind === 'check' && app !== undefined && run.app !== app) {
        out.notes.push(`#${pull.number}: check ${run.name} was posted by ${run.app ?? 'an unnamed app'}, not ${app}; it starts nothing`);
        break;
      }
      const conclusion = run.conclusion ?? (run.kind === 'workflow' && run.status !== 'completed' ? 'started' : '');
      tries.push(run.kind === 'check' ? { type: 'check', actor: event.actor, check: run.name, conclusion } : { type: 'workflow', actor: event.actor, workflow: run.name, conclusion });
      break;
    }
    case 'pr_closed':
      tries.push({ type: event.pr?.merged ? 'merged' : 'closed', actor: event.actor });
      break;
    case 'schedule':
    case 'dispatch':
      if (enteredAt) tries.push({ type: 'timeout', actor: event.actor, elapsedMs: now.getTime() - Date.parse(enteredAt) });
      break;
    default:
      break;
  }

  const machine = buildLifecycleMachine(lifecycle);
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, fn());
    return memo.get(key) as Promise<T>;
  };
  const holds = (role: string, user: string) =>
    once(`role ${role} ${user}`, async () => {
      const def = lifecycle.roles[role];
      if (!def) return false;
      for (const team of def.teams) if (await once(`team ${team} ${user}`, () => api.isTeamMember(team, user))) return true;
      return def.permission ? permissionAtLeast(await once(`perm ${user}`, () => api.getPermission(user)), def.permission) : false;
    });
  const factsFor = async (candidates: Transition[], actor: string): Promise<Facts> => {
    const facts: Facts = { roles: [], approvals: {}, checks: {}, verdicts: {} };
    for (const role of new Set(candidates.flatMap((t) => t.roles))) if (await holds(role, actor)) facts.roles.push(role);
    const approvalKeys = new Set(candidates.flatMap((t) => (t.require.approvals ? [t.require.approvals.role ?? '*'] : [])));
    if (approvalKeys.size > 0) {
      const reviews = await once('reviews', () => api.listReviews(pull.number));
      const latest = new Map<string, { state: string; commitId: string }>();
      for (const r of reviews) if (!isBot(r.user, r.userType) && r.user !== pull.author && r.state !== 'COMMENTED') latest.set(r.user, r);
      const approvers = [...latest].filter(([, r]) => r.state === 'APPROVED' && r.commitId === pull.headSha).map(([user]) => user);
      for (const key of approvalKeys) {
        let count = 0;
        for (const user of approvers) if (key === '*' || (await holds(key, user))) count++;
        facts.approvals[key] = count;
      }
    }
    const checkNames = new Set(candidates.flatMap((t) => [...t.require.checks, ...(t.require.verdict ? [t.require.verdict.check] : [])]));
    for (const check of checkNames) {
      // With its app named, only that app's runs count: another app's or workflow's run of the same name is not it.
      const app = checkSources(lifecycle).get(check);
      const [run] = (await once(`check ${check}`, () => api.listCheckRuns(pull.headSha, check))).filter((r) => app === undefined || r.app === app);
      if (run) facts.checks[check] = run.status === 'completed' ? run.conclusion : null;
      if (run) facts.verdicts[check] = readVerdict(`${run.summary}\n${run.text}`);
    }
    return facts;
  };

  let to = current;
  let taken: { transition: Transition; event: LifecycleEvent } | undefined;
  let refusal: string | undefined;
  for (const partial of tries) {
    const candidates = (lifecycle.states[current]?.transitions ?? []).filter((t) => t.on === partial.type);
    if (candidates.length === 0) continue;
    const machineEvent: LifecycleEvent = { ...partial, facts: await factsFor(candidates, partial.actor) };
    const result = advance(machine, lifecycle, current, machineEvent);
    if (result.taken) {
      to = result.to;
      taken = { transition: result.taken.transition, event: machineEvent };
      break;
    }
    if (result.refused.length > 0 && attempt) refusal ??= result.refused[0]!.rule;
  }

  const replies: string[] = [];
  if (taken) {
    const t = taken.transition;
    const reason = t.on === 'command' && t.reason ? reasonFor(t, taken.event) : undefined;
    const marker = t.on === 'marker' && t.marker ? `${t.marker}:${taken.event.markers?.[t.marker]}` : undefined;
    out.transitions.push({ lifecycle: name, pr: pull.number, from: current, to, by: taken.event.actor, at, why: t.why ?? describeTrigger(t), trigger: describeTrigger(t), ...(reason ? { reason } : {}), ...(marker ? { marker } : {}) });
    input.log.info({ pr: pull.number, lifecycle: name, from: current, to, by: taken.event.actor }, 'lifecycle transition');
  } else if (event.name === 'pr_labeled' && eventState && eventState !== current) {
    const rule = refusal ?? `no transition leads from ${current} to ${eventState} by adding its label`;
    out.refusals.push({ lifecycle: name, pr: pull.number, state: current, by: event.actor, at, rule, reverted: `label ${event.label} removed` });
    await removeLabel(event.label!);
    replies.push(`Label "${event.label!}" added by @${event.actor} was removed: ${rule}.`);
  } else if (unlabeledByHand) {
    const rule = `the label of the current state (${current}) is set by DriftGuard; it changes only by a transition`;
    out.refusals.push({ lifecycle: name, pr: pull.number, state: current, by: event.actor, at, rule, reverted: `label ${event.label} restored` });
    replies.push(`Label "${event.label!}" removed by @${event.actor} was restored: ${rule}.`);
  } else if (refusal) {
    const what = event.name === 'pr_comment' ? `${parseLifecycleCommand(event.comment!.body)?.command ?? 'The command'}` : 'The change';
    out.refusals.push({ lifecycle: name, pr: pull.number, state: current, by: event.actor, at, rule: refusal });
    replies.push(`${what} by @${event.actor} was not applied: ${refusal}.`);
  } else if (event.name === 'pr_comment' && tries.length > 0) {
    const rule = `${tries[0]!.command} does nothing in state ${current}`;
    out.refusals.push({ lifecycle: name, pr: pull.number, state: current, by: event.actor, at, rule });
    replies.push(`${tries[0]!.command} by @${event.actor} was not applied: ${rule}.`);
  }

  // Labels: the new state's on, every other state's off.
  const target = lifecycle.states[to]!;
  const targetPresent = labels.some((l) => l.toLowerCase() === target.label.toLowerCase() && !(event.name === 'pr_labeled' && l.toLowerCase() === eventLabel && !taken));
  if (!targetPresent || (unlabeledByHand && eventState === to)) await addLabel(target.label);
  for (const label of labels) {
    const s = stateOfLabel.get(label.toLowerCase());
    if (s && s !== to && !(event.name === 'pr_labeled' && label.toLowerCase() === eventLabel && !taken)) await removeLabel(label);
  }
  if (taken) {
    for (const team of taken.transition.request_review) {
      await send({ method: 'POST', path: `${base}/pulls/${pull.number}/requested_reviewers`, body: { team_reviewers: [team.split('/')[1]] } });
    }
  }

  const comments = await api.listIssueComments(pull.number);
  const mine = (marker: string) => comments.find((c) => c.author === bot && c.body.startsWith(`${marker}\n`));
  const last = out.transitions.filter((r) => r.pr === pull.number && r.lifecycle === name).at(-1);
  const status = [
    statusMarker(name),
    `**PR lifecycle ${inertMarkdown(name)}**: ${inertMarkdown(to)} (label ${inertCode(target.label)})${target.mergeable ? ', may merge' : ''}`,
    '',
    ...(last ? [`Last transition: ${inertMarkdown(last.from)} → ${inertMarkdown(last.to)} by ${inertMarkdown(`@${last.by}`)} at ${last.at}: ${inertMarkdown(last.why)}${last.reason ? `; reason: ${inertMarkdown(last.reason, 500)}` : ''}`, ''] : []),
    `Next: ${nextText(lifecycle, to)}`,
  ].join('\n');
  const existingStatus = mine(statusMarker(name));
  if (!existingStatus) await send({ method: 'POST', path: `${base}/issues/${pull.number}/comments`, body: { body: status } });
  else if (last && existingStatus.body !== status) await send({ method: 'PATCH', path: `${base}/issues/comments/${existingStatus.id}`, body: { body: status } });
  if (replies.length > 0) {
    const body = [replyMarker(name), ...replies.map((r) => inertMarkdown(r, 1000)), '', `Rules: the ${inertMarkdown(name)} lifecycle in ${inertCode('policy.yaml')}.`].join('\n');
    const existingReply = mine(replyMarker(name));
    if (!existingReply) await send({ method: 'POST', path: `${base}/issues/${pull.number}/comments`, body: { body } });
    else if (existingReply.body !== body) await send({ method: 'PATCH', path: `${base}/issues/comments/${existingReply.id}`, body: { body } });
  }

  await send({
    method: 'POST',
    path: `${base}/check-runs`,
    body: {
      name: LIFECYCLE_CHECK,
      head_sha: pull.headSha,
      status: 'completed',
      conclusion: target.mergeable ? 'success' : target.final ? 'neutral' : 'failure',
      output: {
        title: `${name}: ${to}${target.mergeable ? ' (may merge)' : ''}`.slice(0, 250),
        summary: [`State **${inertMarkdown(to)}** (label ${inertCode(target.label)}) of the ${inertMarkdown(name)} lifecycle.`, '', target.mergeable ? 'This state may merge.' : `Not mergeable in this state. Next: ${nextText(lifecycle, to)}`].join('\n'),
      },
    },
  });
  out.states.push({ pr: pull.number, lifecycle: name, state: to, mergeable: target.mergeable });
}

/** What is needed next in a state, in words: the state's own `next`, then each way out. */
export function nextText(lifecycle: Lifecycle, state: string): string {
  const def = lifecycle.states[state]!;
  if (def.final) return 'nothing; the lifecycle is complete';
  const ways = def.transitions.map((t) => `${inertMarkdown([describeTrigger(t, (s) => lifecycle.states[s]?.label ?? s), ...describeGuards(t)].join(', '))} → ${inertMarkdown(t.to)}`);
  return `${def.next ? `${inertMarkdown(def.next)}. ` : ''}Ways out: ${ways.join('; ')}`;
}

