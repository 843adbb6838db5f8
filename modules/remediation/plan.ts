import { resolve } from 'node:path';
import { writeJsonAtomic } from '../../src/audit.ts';
import { describeError } from '../../src/errors.ts';
import type { GitHubApi, Write } from '../../src/github/api.ts';
import { isBot, permissionAtLeast } from '../../src/github/override.ts';
import type { Permission } from '../../src/policy/schema.ts';
import type { Action, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { argoClient } from '../drift/argocd.ts';
import { checkStack } from '../drift/runner.ts';
import type { DriftConfig } from '../drift/schema.ts';
import { validateMetadata, isRemediation, type Metadata } from './metadata.ts';
import type { RemediationConfig } from './schema.ts';

const result = (verdict: StepOutcome['verdict'], summary: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ verdict, summary, findings: [], actions: [], decisions: [], ...extra });

/**
 * Approvals that count: the latest review per reviewer, APPROVED, on the current head commit, by
 * someone who is not the pull request's author, not a bot, and whose repository permission (asked
 * of GitHub now) is at least `minPermission`. Every approval left out is returned with why.
 */
export async function countApprovals(
  api: GitHubApi,
  pull: { number: number; headSha: string; author: string },
  minPermission: Permission,
): Promise<{ counted: number; notCounted: Array<{ user: string; why: string }> }> {
  const latest = new Map<string, { userType: string; state: string; commitId: string }>();
  for (const r of await api.listReviews(pull.number)) if (r.state !== 'COMMENTED') latest.set(r.user, r);
  let counted = 0;
  const notCounted: Array<{ user: string; why: string }> = [];
  for (const [user, r] of latest) {
    if (r.state !== 'APPROVED') continue;
    if (r.commitId !== pull.headSha) notCounted.push({ user, why: `approved ${r.commitId.slice(0, 12)}, not the current head` });
    else if (user === pull.author) notCounted.push({ user, why: 'the author of the pull request' });
    else if (isBot(user, r.userType)) notCounted.push({ user, why: 'a bot' });
    else {
      const permission = await api.getPermission(user);
      if (permissionAtLeast(permission, minPermission)) counted++;
      else notCounted.push({ user, why: `${permission} permission, below ${minPermission}` });
    }
  }
  return { counted, notCounted };
}

export async function planRemediation(ctx: StepContext<RemediationConfig>): Promise<StepOutcome> {
  const { event, deps, config, policy } = ctx;
  if (!event.pr || !event.repo) return result('pass', 'not a GitHub pull request');
  const api = await deps.github(event.repo);
  const pull = await api.getPull(event.pr.number);
  if (!isRemediation(pull.body)) return result('pass', 'not a drift remediation pull request (no "Drift Issue:" field)');
  const drift = policy.modules.drift as unknown as DriftConfig | undefined;
  const environments = [...new Set((drift?.stacks ?? []).map((s) => s.environment))];
  const { metadata, problems } = validateMetadata(pull.body, { jira: config.jira, environments });
  const findings: Finding[] = problems.map((p) => ({ rule: 'remediation.metadata', title: p.field, message: p.message, severity: 'error' }));

  if (event.name !== 'pr_closed') {
    if (metadata) {
      const open = await api.listOpenIssues('drift');
      if (!open.some((i) => i.number === metadata.driftIssue)) findings.push({ rule: 'remediation.issue', title: 'Drift Issue', message: `#${metadata.driftIssue} is not an open issue labelled drift`, severity: 'error' });
    }
    const { counted: approvals, notCounted } = await countApprovals(api, pull, config.min_permission);
    if (approvals < config.min_approvals) {
      const why = notCounted.length ? `; not counted: ${notCounted.map((n) => `${n.user} (${n.why})`).join(', ')}` : '';
      findings.push({ rule: 'remediation.approvals', title: 'approvals', message: `needs ${config.min_approvals} approving review(s) on the current head ${pull.headSha.slice(0, 12)} from reviewers with ${config.min_permission} permission, has ${approvals}${why}`, severity: 'error' });
    }
    return result(findings.length ? 'fail' : 'pass', findings.length ? `${findings.length} problem(s): ${findings.map((f) => f.title).join(', ')}` : `remediation of #${metadata!.driftIssue} is complete: metadata valid, ${approvals} approval(s)`, {
      findings,
      decisions: [{ subject: `PR #${pull.number}`, decision: findings.length ? 'incomplete' : 'ready', reason: findings.map((f) => f.message).join('; ') || 'all fields valid, enough approvals' }],
    });
  }

  if (!pull.merged) return result('pass', 'closed without merging: nothing to verify');
  if (!metadata) return result('fail', 'merged with invalid remediation metadata', { findings });
  const verification = await verify(metadata, drift, ctx);
  const record = {
    pullRequest: pull.number,
    driftIssue: metadata.driftIssue,
    changeRequest: metadata.changeRequest,
    jiraKey: metadata.jiraKey ?? null,
    environment: metadata.environment,
    provider: metadata.provider,
    driftType: metadata.driftType,
    argocdApp: metadata.argocdApp ?? null,
    actor: event.actor,
    mergeCommit: pull.mergeCommitSha,
    verifiedAt: ctx.now.toISOString(),
    verification,
  };
  ctx.state.set('remediation', { record, metadata });
  const base = `/repos/${event.repo.owner}/${event.repo.name}/issues/${metadata.driftIssue}`;
  const actions: Action[] = [{ kind: 'write audit', target: `drift-audit-pr-${pull.number}.json`, reason: 'remediation merged', status: 'planned' }];
  if (verification.clean) actions.push({ kind: 'close issue', target: `#${metadata.driftIssue}`, reason: `verified clean after PR #${pull.number}`, status: 'planned' });
  ctx.state.set('writes', verification.clean ? [
    { method: 'POST', path: `${base}/comments`, body: { body: `Remediated by #${pull.number} (${metadata.changeRequest}); verification clean: ${verification.detail}. Closing.` } },
    { method: 'PATCH', path: base, body: { state: 'closed', state_reason: 'completed' } },
  ] satisfies Write[] : []);
  return result(verification.clean ? 'pass' : 'fail', `merged remediation of #${metadata.driftIssue}: verification ${verification.clean ? 'clean' : 'not clean'} (${verification.detail})`, {
    actions,
    decisions: [{ subject: `PR #${pull.number}`, decision: verification.clean ? 'verified' : 'not verified', reason: verification.detail }],
    data: { record },
  });
}

async function verify(metadata: Metadata, drift: DriftConfig | undefined, ctx: StepContext<RemediationConfig>): Promise<{ clean: boolean; detail: string }> {
  try {
    if (metadata.driftType === 'workload') {
      const app = await argoClient(ctx.deps.env, ctx.deps.redactor).get(metadata.argocdApp!);
      return { clean: app.sync === 'Synced', detail: `Argo CD ${app.name}: ${app.sync}, ${app.health}` };
    }
    const stacks = (drift?.stacks ?? []).filter((s) => s.environment === metadata.environment);
    if (!drift || stacks.length === 0) return { clean: false, detail: `no drift stacks configured for environment ${metadata.environment}` };
    const outcomes = await Promise.all(stacks.map(async (s) => [s.name, await checkStack(s, drift, ctx.deps)] as const));
    const dirty = outcomes.filter(([, r]) => r.status !== 'clean');
    return { clean: dirty.length === 0, detail: dirty.length === 0 ? `refresh-only plan clean for ${stacks.map((s) => s.name).join(', ')}` : dirty.map(([n, r]) => `${n}: ${r.status === 'error' ? r.reason : 'still drifted'}`).join('; ') };
  } catch (err) {
    return { clean: false, detail: `verification failed: ${describeError(err)}` };
  }
}

export async function applyRemediation(planned: StepOutcome, ctx: StepContext<RemediationConfig>): Promise<StepOutcome> {
  const state = ctx.state.get('remediation') as { record: Record<string, unknown> } | undefined;
  if (!state) return planned;
  const actions: Action[] = [];
  const file = `drift-audit-pr-${String(state.record.pullRequest)}.json`;
  await writeJsonAtomic(resolve(ctx.deps.cwd, ctx.policy.audit.dir), file, state.record, ctx.deps.redactor);
  actions.push({ ...planned.actions[0]!, status: 'done' });
  const writes = (ctx.state.get('writes') as Write[]) ?? [];
  if (writes.length > 0) {
    try {
      const api = await ctx.deps.github(ctx.event.repo!);
      for (const w of writes) await api.write(w);
      actions.push({ ...planned.actions[1]!, status: 'done' });
    } catch (err) {
      actions.push({ ...planned.actions[1]!, status: 'failed', detail: describeError(err) });
      return { ...planned, actions, verdict: 'error' };
    }
  }
  return { ...planned, actions };
}
