import { createHash } from 'node:crypto';
import { describeError } from '../../src/errors.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Action, Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { buildTargets, type Target } from './resources/index.ts';
import type { JanitorConfig } from './schema.ts';
import { eligibility, eligibilityPolicy, envOf, selectExpired, type Planned } from './select-expired.ts';
import { stillThere } from './still-there.ts';
import { destroyEnvironment, workdirOf } from './terraform.ts';
import { resourceKey, type DeleteResult, type Resource } from './types.ts';

interface JanitorState {
  targets: Target[];
  eligible: Array<{ resource: Resource; target: Target }>;
  envs: string[];
}

export interface Shard {
  index: number;
  count: number;
}

/** "i/n" with 0 <= i < n, as a GitHub Actions matrix counts. */
export function parseShard(text: unknown): Shard | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(String(text));
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new Error(`--shard must be "i/n" with 0 <= i < n, got "${String(text)}"`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

export function inShard(resource: Resource, shard: Shard | undefined): boolean {
  if (!shard) return true;
  const hash = createHash('sha256').update(resourceKey(resource)).digest().readUInt32BE(0);
  return hash % shard.count === shard.index;
}

const label = (r: Resource) => `${r.provider} ${r.type} ${r.name || r.id} (${r.account}${r.region && r.region !== '*' ? `/${r.region}` : ''})`;

export async function planJanitor(ctx: StepContext<JanitorConfig>): Promise<StepOutcome> {
  const { config, deps, log } = ctx;
  const inputs = ctx.event.inputs ?? {};
  const shard = parseShard(inputs.shard);
  const filter = { provider: inputs.provider as string | undefined, region: inputs.region as string | undefined };
  if (Object.keys(config.providers).length === 0) {
    return { verdict: 'error', summary: 'no provider configured: add aws, azure or gcp under modules.janitor.providers', findings: [], actions: [], decisions: [] };
  }
  const { targets, problems } = await buildTargets(config, deps.clouds, filter);

  const listed: Array<{ resource: Resource; target: Target }> = [];
  const unread: Finding[] = [];
  await mapLimit(targets, 4, async (target) => {
    try {
      const { resources, skipped } = await target.handler.list();
      // One resource that cannot be read is skipped with its reason; the rest of the listing stands.
      for (const s of skipped) unread.push({ rule: 'janitor.skip', title: `${target.provider} ${target.type} ${s.id} (${target.account}${target.region !== '*' ? `/${target.region}` : ''})`, message: `skipped: ${s.reason}`, severity: 'warning' });
      for (const resource of resources) {
        if (filter.region && target.region === '*' && resource.region !== filter.region) continue;
        if (inShard(resource, shard)) listed.push({ resource, target });
      }
    } catch (err) {
      problems.push({ provider: target.provider, where: `${target.type} in ${target.account}/${target.region}`, reason: `listing failed: ${describeError(err)}` });
    }
  });

  // Listing runs in parallel; the plan is in a fixed order: deletion order, then resource key.
  listed.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target) || (resourceKey(a.resource) < resourceKey(b.resource) ? -1 : 1));
  const policy = eligibilityPolicy(config);
  const planned: Planned[] = selectExpired(listed.map((l) => l.resource), policy, ctx.now);
  const decisions: Decision[] = planned.map((p) => ({
    subject: resourceKey(p.resource),
    decision: p.decision.eligible ? 'delete' : 'keep',
    reason: p.decision.reason,
  }));
  const eligible = planned.map((p, i) => ({ p, target: listed[i]!.target })).filter(({ p }) => p.decision.eligible).map(({ p, target }) => ({ resource: p.resource, target }));
  const doubts = planned.filter((p) => !p.decision.eligible && p.decision.doubt);

  const findings: Finding[] = [
    ...problems.map((p): Finding => ({ rule: 'janitor.target', title: `${p.provider} ${p.where}`, message: p.reason, severity: 'error' })),
    ...doubts.map((p): Finding => ({ rule: 'janitor.skip', title: label(p.resource), message: `skipped: ${p.decision.reason}`, severity: 'warning' })),
    ...unread.sort((a, b) => (a.title < b.title ? -1 : 1)),
  ];
  const table = {
    columns: ['resource', 'decision', 'expires', 'reason'],
    rows: planned.map((p) => [label(p.resource), p.decision.eligible ? 'DELETE' : 'keep', p.decision.expiresAt?.toISOString() ?? '-', p.decision.reason]),
  };
  const data = { table, listed: listed.length, eligible: eligible.length, shard: shard ? `${shard.index}/${shard.count}` : undefined };

  if (eligible.length > config.max_deletions) {
    log.warn({ eligible: eligible.length, max: config.max_deletions }, 'refusing: more deletions than max_deletions');
    return {
      verdict: 'fail',
      summary: `refused: ${eligible.length} resources are eligible, more than max_deletions (${config.max_deletions}); nothing was deleted`,
      findings,
      actions: [],
      decisions,
      data,
    };
  }

  const envs = config.terraform.enabled ? [...new Set(eligible.map((e) => envOf(e.resource)).filter((e): e is string => e !== undefined))].sort() : [];
  const actions: Action[] = [
    ...envs.map((env): Action => ({ kind: 'terraform destroy', target: env, reason: `environment with expired resources (${workdirOf(config.terraform, env, deps.cwd)})`, status: 'planned' })),
    ...eligible.map(({ resource }): Action => ({ kind: 'delete', target: label(resource), reason: planned.find((p) => p.resource === resource)!.decision.reason, status: 'planned' })),
  ];
  ctx.state.set('janitor', { targets, eligible, envs } satisfies JanitorState);
  const listingFailed = problems.length > 0;
  const summary = `${listed.length} resources seen, ${eligible.length} expired and eligible, ${planned.length - eligible.length} kept${doubts.length ? ` (${doubts.length} skipped in doubt)` : ''}${unread.length ? `; ${unread.length} could not be read and were skipped` : ''}${listingFailed ? `; ${problems.length} targets could not be read` : ''}`;
  return { verdict: listingFailed ? 'error' : 'pass', summary, findings, actions, decisions, data };
}

/**
 * Phase 1 (Terraform per environment), then phase 2: each eligible resource is read again, its
 * eligibility re-checked on the fresh read, and deleted through the API; then every target is
 * listed again and a resource counts as deleted only when it is no longer there.
 */
export async function applyJanitor(planned: StepOutcome, ctx: StepContext<JanitorConfig>): Promise<StepOutcome> {
  const state = ctx.state.get('janitor') as JanitorState | undefined;
  if (!state) return planned;
  const { config, deps, log } = ctx;
  const actions: Action[] = [];
  const decisions: Decision[] = [...planned.decisions];

  for (const env of state.envs) {
    const outcome = await destroyEnvironment(env, config.terraform, deps);
    actions.push({ kind: 'terraform destroy', target: env, reason: outcome.ok ? outcome.detail : `fell back to the API: ${outcome.reason}`, status: outcome.ok ? 'done' : 'failed' });
    decisions.push({ subject: `env ${env}`, decision: outcome.ok ? 'terraform destroyed' : 'terraform failed', reason: outcome.ok ? outcome.detail : outcome.reason });
    log.info({ env, decision: outcome.ok ? 'terraform destroyed' : 'terraform failed', why: outcome.ok ? outcome.detail : outcome.reason }, 'phase 1');
  }

  const policy = eligibilityPolicy(config);
  const results = new Map<Resource, DeleteResult>();
  const byTarget = new Map<Target, Resource[]>();
  for (const { resource, target } of state.eligible) byTarget.set(target, [...(byTarget.get(target) ?? []), resource]);
  for (const [target, resources] of byTarget) {
    await mapLimit(resources, config.concurrency, async (resource) => {
      try {
        const fresh = await target.handler.get(resource);
        if (!fresh) return results.set(resource, { status: 'gone' });
        const again = eligibility(fresh, policy, deps.now());
        if (!again.eligible) return results.set(resource, { status: 'skipped', reason: `no longer eligible on a fresh read: ${again.reason}` });
        const result = await target.handler.delete(fresh, (message) => log.info({ resource: resourceKey(resource) }, message));
        results.set(resource, result);
      } catch (err) {
        results.set(resource, { status: 'failed', reason: describeError(err) });
      }
    });
  }

  // A resource is deleted only when a fresh read no longer finds it.
  for (const [target, resources] of byTarget) {
    let still: Set<string>;
    try {
      still = await stillThere(target.handler, resources.filter((r) => ['deleted', 'gone'].includes(results.get(r)!.status)), config.concurrency);
    } catch (err) {
      for (const r of resources) {
        const status = results.get(r)?.status;
        if (status === 'deleted' || status === 'gone') results.set(r, { status: 'failed', reason: `could not verify the deletion: ${describeError(err)}` });
      }
      continue;
    }
    for (const r of resources) {
      const result = results.get(r)!;
      if ((result.status === 'deleted' || result.status === 'gone') && still.has(r.id)) results.set(r, { status: 'failed', reason: 'still listed after deletion' });
    }
  }

  const failed: Resource[] = [];
  const findings: Finding[] = [...planned.findings];
  for (const { resource } of state.eligible) {
    const result = results.get(resource)!;
    const status: Action['status'] = result.status === 'deleted' || result.status === 'gone' ? 'done' : result.status === 'skipped' ? 'skipped' : 'failed';
    const reason = result.status === 'deleted' ? 'deleted' : result.status === 'gone' ? 'already gone (terraform or an earlier run)' : result.status === 'refused' ? `refused: ${result.reason}` : result.reason;
    actions.push({ kind: 'delete', target: label(resource), reason, status });
    decisions.push({ subject: resourceKey(resource), decision: status === 'done' ? 'deleted' : status === 'skipped' ? 'not deleted' : 'delete failed', reason });
    log.info({ resource: resourceKey(resource), decision: status === 'done' ? 'deleted' : status, why: reason }, 'phase 2');
    if (status === 'failed') {
      failed.push(resource);
      findings.push({ rule: 'janitor.delete', title: label(resource), message: `could not be deleted: ${reason}`, severity: 'error' });
    } else if (status === 'skipped') {
      findings.push({ rule: 'janitor.delete', title: label(resource), message: `not deleted: ${reason}`, severity: 'warning' });
    }
  }
  const deleted = actions.filter((a) => a.kind === 'delete' && a.status === 'done').length;
  const summary = `${deleted} of ${state.eligible.length} eligible resources deleted${failed.length ? `; ${failed.length} could not be: ${failed.map(label).join(', ')}` : ''}`;
  return { ...planned, verdict: failed.length > 0 || planned.verdict === 'error' ? 'error' : 'pass', summary, actions, decisions, findings };
}
