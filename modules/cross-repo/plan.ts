import { randomUUID } from 'node:crypto';
import picomatch from 'picomatch';
import { changeSourceFor, githubFor } from '../../src/change.ts';
import { describeError } from '../../src/errors.ts';
import { PR_EVENTS, type RepoRef } from '../../src/events.ts';
import type { Write } from '../../src/github/api.ts';
import type { Action, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { durationMs } from '../../src/policy/types.ts';
import { inertText } from '../../src/report/inert.ts';
import { diffContract } from './breaking.ts';
import { CHECK_NAME, decodeRound, roundText, verdictOf, type Round } from './round.ts';
import type { CrossRepoConfig } from './schema.ts';

const outcome = (verdict: StepOutcome['verdict'], summary: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ verdict, summary, findings: [], actions: [], decisions: [], ...extra });
const repoRef = (fullName: string): RepoRef => {
  const [owner, name] = fullName.split('/') as [string, string];
  return { owner, name, fullName };
};

export async function planCrossRepo(ctx: StepContext<CrossRepoConfig>): Promise<StepOutcome> {
  if (PR_EVENTS.includes(ctx.event.name)) return planPullRequest(ctx);
  if (ctx.event.name === 'push') {
    const { event, config } = ctx;
    const branch = event.ref?.replace(/^refs\/heads\//, '');
    if (!config.on_push) return outcome('pass', 'push: on_push is off');
    if (!event.repo?.defaultBranch || branch !== event.repo.defaultBranch) return outcome('pass', `push to ${branch ?? 'an unknown ref'}, not the default branch`);
    if (event.change.kind !== 'git') return outcome('pass', 'push creates the branch: no previous commit to compare');
    return planPullRequest(ctx);
  }
  if (ctx.event.name === 'downstream_result') return planResult(ctx);
  return planSweep(ctx);
}

/** A pull request: static diff of the changed contracts, then a round of dispatches. */
async function planPullRequest(ctx: StepContext<CrossRepoConfig>): Promise<StepOutcome> {
  const { config, event, deps } = ctx;
  const change = await changeSourceFor(event.change, deps.git, githubFor(ctx));
  const changed = await change.changedFiles();
  const matched = config.contracts.map((contract) => ({ contract, files: changed.filter((f) => picomatch.isMatch(f, contract.paths, { dot: true })) })).filter((m) => m.files.length > 0);
  if (matched.length === 0) return outcome('pass', 'no contract changed');

  const findings: Finding[] = [];
  const skipped: string[] = [];
  const report = (contract: CrossRepoConfig['contracts'][number], file: string, diff: Awaited<ReturnType<typeof diffContract>>) => {
    if (!Array.isArray(diff)) {
      // Never a silent pass: a version that cannot be compared blocks like a breaking change.
      const version = diff.side === 'head' ? 'the new version' : 'the base version';
      findings.push({ rule: 'cross_repo.unreadable', source: contract.name, title: `${contract.name}: cannot compare ${file}`, message: `${version}, line ${diff.line}: ${diff.error}`, severity: config.breaking === 'off' ? 'warning' : 'error', file, line: diff.side === 'head' ? diff.line : 1 });
      return;
    }
    if (config.breaking === 'off') return;
    for (const c of diff) {
      if (c.level === 'info') continue;
      const where = c.side === 'base' ? `; line ${c.line} of the base version${c.file ? ` of ${c.file}` : ''}` : '';
      findings.push({
        rule: c.level === 'breaking' ? 'cross_repo.breaking' : 'cross_repo.warning',
        source: contract.name,
        title: `${c.level === 'breaking' ? 'breaking change' : 'possibly breaking change'} in ${contract.name}: ${c.id}`,
        message: `${c.operation ? `${c.operation}: ` : ''}${c.message} (${c.pointer}${where})`,
        severity: c.level === 'breaking' && config.breaking === 'block' ? 'error' : 'warning',
        file: c.file ?? file,
        line: c.headLine,
      });
    }
  };
  const diffable = (f: string) => /\.(ya?ml|json)$/i.test(f);
  const isRoot = async (f: string) => /^\s*\{?\s*["']?(openapi|swagger)["']?\s*:/m.test((await change.readHead(f)) ?? (await change.readBase(f)) ?? '');
  for (const { contract, files } of matched) {
    // Only OpenAPI and JSON Schema files get the static diff; other contract files (.proto, ...) rely on the dependents' tests.
    skipped.push(...files.filter((f) => !diffable(f)));
    const roots: string[] = [];
    const others: string[] = [];
    for (const f of files.filter(diffable)) ((await isRoot(f)) ? roots : others).push(f);
    // A changed file that an OpenAPI document of the contract references is compared through that
    // document, with the direction of every place it is used; so unchanged roots are diffed too.
    if (others.length > 0) {
      for (const f of await change.listHeadFiles()) {
        if (diffable(f) && !files.includes(f) && picomatch.isMatch(f, contract.paths, { dot: true }) && (await isRoot(f))) roots.push(f);
      }
    }
    const referenced = new Set<string>();
    const recording = (read: (p: string) => Promise<string | undefined>) => (p: string) => {
      referenced.add(p);
      return read(p);
    };
    for (const file of roots) {
      report(contract, file, await diffContract(await change.readBase(file), await change.readHead(file), { file, readBase: recording((p) => change.readBase(p)), readHead: recording((p) => change.readHead(p)) }));
    }
    for (const file of others.filter((f) => !referenced.has(f))) {
      report(contract, file, await diffContract(await change.readBase(file), await change.readHead(file), { file, readBase: (p) => change.readBase(p), readHead: (p) => change.readHead(p) }));
    }
  }
  const blocking = findings.filter((f) => f.severity === 'error').length;
  const dependents = [...new Set(matched.flatMap((m) => m.contract.dependents))].sort();
  const contracts = matched.map((m) => m.contract.name);
  const decisions = [
    ...matched.map((m) => ({ subject: `contract ${m.contract.name}`, decision: 'changed', reason: m.files.join(', ') })),
    ...skipped.map((f) => ({ subject: f, decision: 'not diffed', reason: 'not an OpenAPI or JSON Schema file (.yaml, .yml, .json): only the dependents judge it' })),
  ];
  const summary = `${contracts.join(', ')} changed: ${findings.filter((f) => f.rule === 'cross_repo.breaking').length} breaking change(s)`;
  const sha = event.pr?.headSha ?? (event.name === 'push' ? event.sha : undefined);
  if (!event.repo || !sha) {
    return outcome(blocking > 0 ? 'fail' : 'pass', `${summary}; not a GitHub pull request or push, so ${dependents.length} dependents were not dispatched`, { findings, decisions });
  }
  const timeout = Math.max(...matched.map((m) => durationMs(m.contract.timeout)));
  const round: Round = {
    correlation: randomUUID(),
    source: event.repo.fullName,
    pr: event.pr?.number ?? 0,
    sha,
    contracts,
    deadline: new Date(ctx.now.getTime() + timeout).toISOString(),
    onTimeout: config.on_timeout,
    dependents: Object.fromEntries(dependents.map((d) => [d, { state: 'pending' as const }])),
    breaking: blocking,
  };
  ctx.state.set('round', round);
  const actions: Action[] = [
    { kind: 'create check run', target: `${CHECK_NAME} @ ${round.sha.slice(0, 12)}`, reason: `lists ${dependents.length} dependents; correlation ${round.correlation}`, status: 'planned' },
    ...dependents.map((d): Action => ({ kind: 'dispatch', target: d, reason: `repository_dispatch ${config.event_type} for ${contracts.join(', ')}`, status: 'planned' })),
  ];
  return outcome(blocking > 0 ? 'fail' : 'pass', `${summary}; ${dependents.length} dependents to dispatch`, { findings, decisions, actions, data: { round } });
}

/** A dependent's verdict, recorded on the source commit's check run if it belongs to the live round. */
async function planResult(ctx: StepContext<CrossRepoConfig>): Promise<StepOutcome> {
  const { config, event, deps } = ctx;
  const inputs = (event.inputs ?? {}) as Record<string, unknown>;
  const need = (key: string) => (typeof inputs[key] === 'string' || typeof inputs[key] === 'number' ? String(inputs[key]) : undefined);
  const [source, sha, correlation, pr, verdict, dependent] = ['source_repo', 'head_sha', 'correlation_id', 'pr', 'verdict', 'dependent'].map(need);
  if (!source || !sha || !correlation || pr === undefined || !Number.isInteger(Number(pr)) || !verdict || !dependent) {
    return outcome('error', 'downstream_result needs source_repo, pr, head_sha and correlation_id (from the dispatch payload), --verdict and the dependent repository');
  }
  const subject = `${dependent} on ${source}@${sha.slice(0, 12)}`;
  const api = await deps.github(repoRef(source), config.token_env);
  // A round on a push (pr 0) has no pull request whose head could move on.
  const pull = Number(pr) > 0 ? await api.getPull(Number(pr)) : { headSha: sha };
  if (pull.headSha !== sha) {
    return outcome('pass', `ignored: a result for ${sha.slice(0, 12)}, but the pull request is now at ${pull.headSha.slice(0, 12)}`, { decisions: [{ subject, decision: 'ignored', reason: 'stale: an older commit' }] });
  }
  const check = (await api.listCheckRuns(sha, CHECK_NAME)).find((c) => c.externalId === correlation);
  const round = check ? decodeRound(check.text) : undefined;
  const refuse = (reason: string) => outcome('fail', `refused: ${reason}`, { decisions: [{ subject, decision: 'refused', reason }], findings: [{ rule: 'cross_repo.result', title: 'result refused', message: reason, severity: 'error' }] });
  if (!check || !round || round.correlation !== correlation) return refuse(`no round with correlation id ${correlation} on ${sha.slice(0, 12)}`);
  if (!(dependent in round.dependents)) return refuse(`${dependent} is not a dependent in this round`);
  if (check.status === 'completed') return outcome('pass', `ignored: the round on ${sha.slice(0, 12)} is already decided`, { decisions: [{ subject, decision: 'ignored', reason: 'round already decided' }] });
  round.dependents[dependent] = { state: verdict === 'pass' ? 'passed' : 'failed', at: ctx.now.toISOString(), ...(need('run_url') ? { runUrl: need('run_url')! } : {}), ...(verdict === 'pass' ? {} : { reason: 'its tests failed' }) };
  const next = verdictOf(round, ctx.now);
  ctx.state.set('update', { source, checkId: check.id, round, next, dependent });
  return outcome('pass', `recorded ${verdict} from ${dependent}; round ${next.status === 'in_progress' ? 'still waiting' : `${next.conclusion}: ${next.reason}`}`, {
    decisions: [{ subject, decision: verdict === 'pass' ? 'passed' : 'failed', reason: need('run_url') ?? 'no run URL given' }],
    actions: [{ kind: 'update check run', target: `${CHECK_NAME} @ ${source}@${sha.slice(0, 12)}`, reason: `${dependent}: ${verdict}`, status: 'planned' }],
  });
}

/** On a schedule: rounds whose dependents did not answer in time get on_timeout. */
async function planSweep(ctx: StepContext<CrossRepoConfig>): Promise<StepOutcome> {
  const { event, deps } = ctx;
  if (!event.repo) return outcome('pass', 'not on GitHub: no rounds to check');
  const api = await deps.github(event.repo);
  const updates: Array<{ source: string; checkId: number; round: Round; next: ReturnType<typeof verdictOf> }> = [];
  for (const pull of await api.listOpenPulls()) {
    const check = (await api.listCheckRuns(pull.headSha, CHECK_NAME)).find((c) => c.status !== 'completed');
    const round = check ? decodeRound(check.text) : undefined;
    if (!check || !round) continue;
    const next = verdictOf(round, ctx.now);
    if (next.status === 'completed') updates.push({ source: event.repo.fullName, checkId: check.id, round, next });
  }
  ctx.state.set('sweep', updates);
  return outcome('pass', `${updates.length} round(s) past their deadline`, {
    actions: updates.map((u) => ({ kind: 'update check run', target: `${CHECK_NAME} #${u.round.pr}`, reason: u.next.status === 'completed' ? u.next.reason : '', status: 'planned' as const })),
    decisions: updates.map((u) => ({ subject: `round ${u.round.correlation}`, decision: 'timed out', reason: u.next.status === 'completed' ? u.next.reason : '' })),
  });
}

function checkUpdate(source: string, checkId: number, round: Round, next: ReturnType<typeof verdictOf>): Write {
  const { owner, name } = repoRef(source);
  return {
    method: 'PATCH',
    path: `/repos/${owner}/${name}/check-runs/${checkId}`,
    body: { status: next.status, ...(next.status === 'completed' ? { conclusion: next.conclusion } : {}), output: roundText(round, next) },
  };
}

export async function applyCrossRepo(planned: StepOutcome, ctx: StepContext<CrossRepoConfig>): Promise<StepOutcome> {
  const { config, event, deps } = ctx;
  const done = (actions: Action[], extra: Partial<StepOutcome> = {}) => ({ ...planned, actions, ...extra });

  const update = ctx.state.get('update') as { source: string; checkId: number; round: Round; next: ReturnType<typeof verdictOf>; dependent: string } | undefined;
  if (update) {
    const api = await deps.github(repoRef(update.source), config.token_env);
    // Read the round again just before writing, so that another dependent's answer recorded since
    // the plan is kept: only this dependent's entry is taken from the plan.
    const fresh = (await api.listCheckRuns(update.round.sha, CHECK_NAME)).find((c) => c.id === update.checkId);
    const current = fresh ? decodeRound(fresh.text) : undefined;
    const round = current && current.correlation === update.round.correlation ? { ...current, dependents: { ...current.dependents, [update.dependent]: update.round.dependents[update.dependent]! } } : update.round;
    if (fresh?.status === 'completed') return done(planned.actions.map((a) => ({ ...a, status: 'skipped' as const, detail: 'the round was decided meanwhile' })));
    await api.write(checkUpdate(update.source, update.checkId, round, verdictOf(round, ctx.now)));
    return done(planned.actions.map((a) => ({ ...a, status: 'done' as const })));
  }
  const sweep = ctx.state.get('sweep') as Array<{ source: string; checkId: number; round: Round; next: ReturnType<typeof verdictOf> }> | undefined;
  if (sweep) {
    const api = await deps.github(event.repo!);
    for (const u of sweep) await api.write(checkUpdate(u.source, u.checkId, u.round, u.next));
    return done(planned.actions.map((a) => ({ ...a, status: 'done' as const })));
  }

  const round = ctx.state.get('round') as Round | undefined;
  if (!round || !event.repo) return planned;
  const api = await deps.github(event.repo);
  const base = `/repos/${event.repo.owner}/${event.repo.name}`;
  const annotations = planned.findings.filter((f) => f.file && f.line).slice(0, 50).map((f) => ({ path: f.file!, start_line: f.line!, end_line: f.line!, annotation_level: f.severity === 'error' ? 'failure' : 'warning', title: inertText(f.title, 250), message: inertText(f.message, 60_000) }));
  let verdict = verdictOf(round, ctx.now);
  const created = await api.write({
    method: 'POST',
    path: `${base}/check-runs`,
    body: { name: CHECK_NAME, head_sha: round.sha, external_id: round.correlation, status: verdict.status, ...(verdict.status === 'completed' ? { conclusion: verdict.conclusion } : {}), output: { ...roundText(round, verdict), annotations } },
  });
  const actions: Action[] = [{ ...planned.actions[0]!, status: 'done' }];
  let dispatcher;
  try {
    dispatcher = await deps.github(event.repo, config.token_env);
  } catch (err) {
    dispatcher = undefined;
    for (const d of Object.keys(round.dependents)) round.dependents[d] = { state: 'failed', reason: describeError(err) };
  }
  for (const dependent of Object.keys(round.dependents)) {
    const action = planned.actions.find((a) => a.kind === 'dispatch' && a.target === dependent)!;
    if (!dispatcher) {
      actions.push({ ...action, status: 'failed', detail: round.dependents[dependent]!.reason });
      continue;
    }
    const { owner, name } = repoRef(dependent);
    try {
      await dispatcher.write({
        method: 'POST',
        path: `/repos/${owner}/${name}/dispatches`,
        body: { event_type: config.event_type, client_payload: { source_repo: round.source, pr: round.pr, head_sha: round.sha, correlation_id: round.correlation, contracts: round.contracts } },
      });
      actions.push({ ...action, status: 'done' });
    } catch (err) {
      const status = (err as { status?: number }).status;
      // A dependent that cannot be dispatched fails the round; it never passes it.
      round.dependents[dependent] = { state: 'failed', reason: `cannot dispatch${status ? ` (HTTP ${status})` : ''}: ${describeError(err).slice(0, 120)}` };
      actions.push({ ...action, status: 'failed', detail: round.dependents[dependent]!.reason });
    }
  }
  const after = verdictOf(round, ctx.now);
  if (JSON.stringify(after) !== JSON.stringify(verdict) || Object.values(round.dependents).some((d) => d.state === 'failed')) {
    verdict = after;
    if (created.id !== undefined) await api.write(checkUpdate(round.source, created.id, round, verdict));
  }
  const failed = actions.filter((a) => a.status === 'failed');
  return done(actions, {
    summary: `${planned.summary.replace(/; \d+ dependents to dispatch$/, '')}; ${actions.length - 1 - failed.length} of ${actions.length - 1} dependents dispatched${failed.length ? ` (${failed.map((a) => a.target).join(', ')} could not be)` : ''}`,
    verdict: planned.verdict === 'fail' || failed.length > 0 ? 'fail' : planned.verdict,
    data: { round },
  });
}
