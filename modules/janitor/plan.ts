import { resolve } from 'node:path';
import { keyInShard, parseShard, type Shard } from '../../src/shard.ts';
import { describeError } from '../../src/errors.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Action, Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { buildTargets, type Target } from './resources/index.ts';
import type { JanitorConfig } from './schema.ts';
import { eligibility, eligibilityPolicy, envOf, selectExpired, type Planned } from './select-expired.ts';
import { checkDestroyPlan, refusalOf } from './check-destroy-plan.ts';
import { stillThere } from './still-there.ts';
import { describeUnfinished, Journal, markAccounted, readJournal, unfinishedRuns, type UnfinishedRun } from './journal.ts';
import { destroyEnvironment, workdirOf } from './terraform.ts';
import { resourceKey, type DeleteResult, type Resource } from './types.ts';

interface JanitorState {
  targets: Target[];
  eligible: Array<{ resource: Resource; target: Target }>;
  envs: string[];
  /** Earlier live runs whose journal has no closing record: this run completes and accounts for them. */
  earlier: UnfinishedRun[];
}

export function inShard(resource: Resource, shard: Shard | undefined): boolean {
  return keyInShard(resourceKey(resource), shard);
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
      const { resources, skipped, notes } = await target.handler.list();
      for (const note of notes ?? []) log.info({ target: `${target.provider} ${target.type} in ${target.account}/${target.region}` }, note);
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

  // A run killed mid-way left a journal with no closing record: say what it did and did not finish.
  const earlier = unfinishedRuns(resolve(deps.cwd, ctx.policy.audit.dir));
  for (const run of earlier) {
    findings.push({ rule: 'janitor.journal', title: `interrupted run ${run.runId}`, message: `${describeUnfinished(run)}; a live run re-checks and completes it (${run.file})`, severity: 'warning' });
  }

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
    ...envs.map((env): Action => {
      // Cheap foresight from the listing; the authoritative check is the destroy plan, read before anything is removed.
      const kept = planned.filter((p) => !p.decision.eligible && envOf(p.resource) === env);
      const dir = workdirOf(config.terraform, env, deps.cwd);
      const reason = kept.length === 0
        ? `environment with expired resources (${dir}); its destroy plan is checked resource by resource first`
        : `likely refused (then its expired resources go to the API phase): ${label(kept[0]!.resource)} shares dg-env=${env} and is kept (${kept[0]!.decision.reason})${kept.length > 1 ? `, and ${kept.length - 1} more` : ''}; ${dir}`;
      return { kind: 'terraform destroy', target: env, reason, status: 'planned' };
    }),
    ...eligible.map(({ resource }): Action => ({ kind: 'delete', target: label(resource), reason: planned.find((p) => p.resource === resource)!.decision.reason, status: 'planned' })),
  ];
  for (const run of earlier) {
    actions.push({ kind: 'account for interrupted run', target: run.runId, reason: describeUnfinished(run), status: 'planned' });
  }
  ctx.state.set('janitor', { targets, eligible, envs, earlier } satisfies JanitorState);
  const listingFailed = problems.length > 0;
  const summary = `${listed.length} resources seen, ${eligible.length} expired and eligible, ${planned.length - eligible.length} kept${doubts.length ? ` (${doubts.length} skipped in doubt)` : ''}${unread.length ? `; ${unread.length} could not be read and were skipped` : ''}${listingFailed ? `; ${problems.length} targets could not be read` : ''}`;
  ctx.state.set('janitor-counts', summary);
  const interrupted = interruptedNote(earlier, 'to complete');
  const journal = earlier.length ? { interrupted: earlier.map((r) => ({ runId: r.runId, actor: r.actor, file: r.file, finished: r.finished, unconfirmed: r.unconfirmed })) } : {};
  return { verdict: listingFailed ? 'error' : 'pass', summary: `${interrupted}${summary}`, findings, actions, decisions, data: { ...data, ...journal } };
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
  // Written before and after every destructive call; without it nothing is deleted.
  let journal: Journal;
  try {
    journal = Journal.open(resolve(deps.cwd, ctx.policy.audit.dir), { runId: ctx.runId, actor: ctx.event.actor }, deps.redactor, deps.now);
  } catch (err) {
    return { ...planned, verdict: 'error', summary: `nothing deleted: the journal could not be opened in ${ctx.policy.audit.dir}: ${describeError(err)}`, actions: planned.actions.map((a) => ({ ...a, status: 'skipped' as const })) };
  }

  const policy = eligibilityPolicy(config);
  const findings: Finding[] = [...planned.findings];
  // Environments whose Terraform phase could not have the proven account's credentials: their
  // resources are kept, not handed to the API phase.
  const kept = new Map<string, string>();
  for (const env of state.envs) {
    const place = await terraformPlace(env, state.eligible, deps);
    if ('refusal' in place) {
      actions.push({ kind: 'terraform destroy', target: env, reason: `refused: ${place.refusal}`, status: 'skipped' });
      decisions.push({ subject: `env ${env}`, decision: 'terraform refused', reason: place.refusal });
      findings.push({ rule: 'janitor.terraform', title: `environment ${env}`, message: `terraform destroy refused; its eligible resources go to the API phase one by one: ${place.refusal}`, severity: 'warning' });
      log.info({ env, decision: 'terraform refused', why: place.refusal }, 'phase 1');
      continue;
    }
    // Terraform removes an environment only when every resource its destroy plan removes is itself eligible.
    const outcome = await destroyEnvironment(env, config.terraform, deps, {
      check: async (changes) => {
        const checks = await checkDestroyPlan(changes, state.targets, policy, deps.now());
        for (const c of checks) decisions.push({ subject: `env ${env} ${c.address}`, decision: c.ok ? 'terraform may destroy' : 'terraform must not destroy', reason: c.reason });
        return refusalOf(checks);
      },
      before: (changes) => journal.write({ kind: 'intent', op: 'terraform destroy', subject: `env ${env}`, decision: 'destroy', reason: changes.map((c) => c.address).join(', ') }),
      after: (o) => journal.write({ kind: 'result', op: 'terraform destroy', subject: `env ${env}`, result: o.ok ? 'destroyed' : 'failed', reason: o.ok ? o.detail : o.reason }),
    }, place.aws);
    const why = outcome.ok ? outcome.detail : outcome.reason;
    if (!outcome.ok && outcome.keep) {
      kept.set(env, why);
      actions.push({ kind: 'terraform destroy', target: env, reason: `kept: ${why}`, status: 'skipped' });
      decisions.push({ subject: `env ${env}`, decision: 'terraform not run', reason: why });
      findings.push({ rule: 'janitor.terraform', title: `environment ${env}`, message: `kept, nothing deleted: ${why}`, severity: 'error' });
      log.warn({ env, decision: 'terraform not run', why }, 'phase 1');
      continue;
    }
    const decision = outcome.ok ? 'terraform destroyed' : outcome.refused ? 'terraform refused' : 'terraform failed';
    actions.push({ kind: 'terraform destroy', target: env, reason: outcome.ok ? why : `${outcome.refused ? 'refused' : 'fell back to the API'}: ${why}`, status: outcome.ok ? 'done' : outcome.refused ? 'skipped' : 'failed' });
    decisions.push({ subject: `env ${env}`, decision, reason: why });
    if (!outcome.ok && outcome.refused) findings.push({ rule: 'janitor.terraform', title: `environment ${env}`, message: `terraform destroy refused; its eligible resources go to the API phase one by one: ${why}`, severity: 'warning' });
    log.info({ env, decision, why }, 'phase 1');
  }

  const results = new Map<Resource, DeleteResult>();
  const byTarget = new Map<Target, Resource[]>();
  for (const { resource, target } of state.eligible) byTarget.set(target, [...(byTarget.get(target) ?? []), resource]);
  const progress = progressLog(state.eligible.length, results, log);
  for (const [target, resources] of byTarget) {
    await mapLimit(resources, config.concurrency, async (resource) => {
      // What the failure interrupted, and so what state it left.
      let stage = 'the fresh read before deleting failed; nothing was deleted';
      const env = envOf(resource);
      try {
        if (env !== undefined && kept.has(env)) return results.set(resource, { status: 'skipped', reason: `kept with environment ${env}: ${kept.get(env)!}` });
        const fresh = await target.handler.get(resource);
        if (!fresh) return results.set(resource, { status: 'gone' });
        const again = eligibility(fresh, policy, deps.now());
        if (!again.eligible) return results.set(resource, { status: 'skipped', reason: `no longer eligible on a fresh read: ${again.reason}` });
        stage = 'the journal could not be written before deleting; nothing was deleted';
        await journal.write({ kind: 'intent', op: 'delete', subject: resourceKey(resource), decision: 'delete', reason: again.reason });
        const result = await target.handler
          .delete(fresh, (message) => log.info({ resource: resourceKey(resource) }, message))
          .catch((err: unknown): DeleteResult => ({ status: 'failed', reason: `delete failed part-way, the resource may be partly emptied: ${describeError(err)}` }));
        stage = `the journal could not record the result (${result.status})`;
        await journal.write({ kind: 'result', op: 'delete', subject: resourceKey(resource), result: result.status, ...('reason' in result ? { reason: result.reason } : {}) });
        results.set(resource, result);
      } catch (err) {
        results.set(resource, { status: 'failed', reason: `${stage}: ${describeError(err)}` });
      } finally {
        progress();
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
  const summary = `${interruptedNote(state.earlier, 'completed')}${deleted} of ${state.eligible.length} eligible resources deleted${failed.length ? `; ${failed.length} could not be: ${failed.map(label).join(', ')}` : ''}; ${String(ctx.state.get('janitor-counts') ?? '')}`;
  const journalData = await closeJournal(journal, summary, state.earlier, decisions, ctx);
  for (const run of state.earlier) actions.push({ kind: 'account for interrupted run', target: run.runId, reason: `completed: ${describeUnfinished(run)}`, status: 'done' });
  if (journalData.unconfirmed.length > 0) findings.push({ rule: 'janitor.journal', title: 'journal', message: `the journal does not confirm ${journalData.unconfirmed.length} destructive calls: ${journalData.unconfirmed.slice(0, 5).join(', ')}`, severity: 'error' });
  return { ...planned, verdict: failed.length > 0 || kept.size > 0 || planned.verdict === 'error' ? 'error' : 'pass', summary, actions, decisions, findings, data: { ...planned.data, journal: journalData } };
}

/**
 * The AWS account and region an environment's Terraform acts in: those of its eligible AWS
 * resources, an account the janitor proved with STS (its targets are built only for proven
 * accounts). None when it has no AWS resource. When they span several accounts and OIDC
 * credentials are in use, a refusal (one Terraform run gets the credentials of one account);
 * without OIDC, none (the standard chain, as before).
 */
export async function terraformPlace(env: string, eligible: JanitorState['eligible'], deps: StepContext<JanitorConfig>['deps']): Promise<{ aws?: { account: string; region?: string } } | { refusal: string }> {
  const targets = eligible.filter((e) => e.resource.provider === 'aws' && envOf(e.resource) === env).map((e) => e.target);
  const accounts = [...new Set(targets.map((t) => t.account))].sort();
  const region = targets.map((t) => t.region).find((r) => r !== '*');
  if (accounts.length === 0) return {};
  if (accounts.length > 1) {
    const oidc = await Promise.resolve(deps.clouds.awsTerraformEnv?.({ account: accounts[0]!, ...(region ? { region } : {}) })).then((e) => e !== undefined, () => true);
    return oidc ? { refusal: `its AWS resources are in several accounts (${accounts.join(', ')}), and one Terraform run acts with the OIDC credentials of one account` } : {};
  }
  return { aws: { account: accounts[0]!, ...(region ? { region } : {}) } };
}

/** A log line at every tenth of phase 2 (and at least every 15 s), with the counts so far. */
function progressLog(total: number, results: ReadonlyMap<Resource, DeleteResult>, log: StepContext<JanitorConfig>['log']): () => void {
  const every = Math.max(1, Math.ceil(total / 10));
  const started = Date.now();
  let handled = 0;
  let logged = started;
  return () => {
    handled++;
    if (handled % every !== 0 && handled !== total && Date.now() - logged < 15_000) return;
    logged = Date.now();
    const counts: Record<string, number> = { deleted: 0, gone: 0, skipped: 0, refused: 0, failed: 0 };
    for (const r of results.values()) counts[r.status] = (counts[r.status] ?? 0) + 1;
    log.info({ handled, total, ...counts, elapsedMs: logged - started }, `phase 2: ${handled} of ${total} handled (${counts.deleted} deleted, ${counts.gone} already gone, ${counts.skipped} skipped, ${counts.refused} refused, ${counts.failed} failed)`);
  };
}

function interruptedNote(earlier: readonly UnfinishedRun[], verb: string): string {
  return earlier.length ? `${earlier.length} interrupted earlier run${earlier.length > 1 ? 's' : ''} ${verb} (${earlier.map((r) => r.runId).join(', ')}); ` : '';
}

/**
 * Closes this run's journal, cross-checks it (every destructive call it announced has its
 * result), then appends to each interrupted earlier journal what became of the calls it never
 * confirmed: this run's decision on that resource, or that this run no longer saw it.
 */
async function closeJournal(journal: Journal, summary: string, earlier: readonly UnfinishedRun[], decisions: readonly Decision[], ctx: StepContext<JanitorConfig>) {
  await journal.close(summary);
  const records = readJournal(journal.file);
  const open = new Set<string>();
  for (const r of records) {
    if (r.kind === 'intent' && r.subject) open.add(r.subject);
    if (r.kind === 'result' && r.subject) open.delete(r.subject);
  }
  const last = new Map<string, Decision>();
  for (const d of decisions) last.set(d.subject, d);
  for (const run of earlier) {
    const resolved: Record<string, string> = {};
    for (const subject of run.unconfirmed) {
      const d = last.get(subject);
      resolved[subject] = d ? `${d.decision}: ${d.reason}` : 'not seen by this run: gone, or outside its scope';
    }
    markAccounted(run, { runId: ctx.runId, actor: ctx.event.actor }, resolved, ctx.deps.redactor, ctx.deps.now());
  }
  return {
    file: journal.file,
    records: records.length,
    deletes: records.filter((r) => r.kind === 'result' && r.op === 'delete').length,
    unconfirmed: [...open],
    accounted: earlier.map((r) => r.runId),
  };
}
