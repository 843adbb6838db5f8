import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describeError } from '../../src/errors.ts';
import type { Write } from '../../src/github/api.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Action, Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { withRetry } from '../../src/retry.ts';
import type { DriftItem } from './classify.ts';
import { applyIgnore } from './ignore.ts';
import { checkStack, readBaseline, type StackResult } from './runner.ts';
import type { DriftConfig, Stack } from './schema.ts';

export const fingerprint = (s: Stack) => `${s.environment}/${s.region}/${s.name}`;
const marker = (fp: string) => `<!-- driftguard:drift ${createHash('sha256').update(fp).digest('hex').slice(0, 16)} -->`;

export interface StackReport {
  stack: Stack;
  result: StackResult;
  kept: DriftItem[];
  ignored: string[];
}

/** Runs every selected stack, with bounded parallelism per environment, and applies ignore rules. */
export async function detect(ctx: StepContext<DriftConfig>): Promise<StackReport[]> {
  const { config, deps } = ctx;
  const inputs = (ctx.event.inputs ?? {}) as Record<string, unknown>;
  const stacks = config.stacks.filter((s) => (!inputs.environment || s.environment === inputs.environment) && (!inputs.region || s.region === inputs.region));
  const rules = [...config.ignore, ...(await readBaseline(resolve(deps.cwd, config.baseline)))];
  const byEnv = new Map<string, Stack[]>();
  for (const s of stacks) byEnv.set(s.environment, [...(byEnv.get(s.environment) ?? []), s]);
  const reports: StackReport[] = [];
  await Promise.all(
    [...byEnv.values()].map((group) =>
      mapLimit(group, config.parallelism, async (stack) => {
        const result = await checkStack(stack, config, deps);
        const { kept, ignored } = result.status === 'drift' ? applyIgnore(result.items, rules) : { kept: [], ignored: [] };
        reports.push({ stack, result, kept, ignored });
      }),
    ),
  );
  return reports.sort((a, b) => fingerprint(a.stack).localeCompare(fingerprint(b.stack)));
}

function issueBody(report: StackReport, runUrl: string | undefined): string {
  const fp = fingerprint(report.stack);
  const rows = report.kept.map((i) => `| \`${i.address}\` | ${i.kind} | ${i.attributes.map((a) => `\`${a.path}\``).join(', ') || '-'} |`);
  return [
    marker(fp),
    `Terraform drift in **${report.stack.name}** (environment \`${report.stack.environment}\`, region \`${report.stack.region}\`, \`${report.stack.dir}\`).`,
    '',
    '| Resource | Drift | Attributes |',
    '| --- | --- | --- |',
    ...rows,
    '',
    report.ignored.length ? `${report.ignored.length} drifted resource(s) ignored by policy or baseline.` : '',
    runUrl ? `Detected by ${runUrl}.` : '',
    'Fix it through a remediation pull request that names this issue.',
  ].join('\n');
}

export async function planDrift(ctx: StepContext<DriftConfig>): Promise<StepOutcome> {
  const { config, event, deps } = ctx;
  if (config.stacks.length === 0) return { verdict: 'error', summary: 'no stacks configured under modules.drift.stacks', findings: [], actions: [], decisions: [] };
  const reports = await detect(ctx);
  const findings: Finding[] = [];
  const decisions: Decision[] = [];
  for (const r of reports) {
    const fp = fingerprint(r.stack);
    if (r.result.status === 'error') {
      findings.push({ rule: 'drift.error', title: fp, message: r.result.reason, severity: 'error' });
      decisions.push({ subject: fp, decision: 'error', reason: r.result.reason });
      continue;
    }
    decisions.push({ subject: fp, decision: r.kept.length ? 'drift' : 'clean', reason: r.kept.length ? `${r.kept.length} resource(s) drifted${r.ignored.length ? `, ${r.ignored.length} ignored` : ''}` : r.ignored.length ? `only ignored drift (${r.ignored.length})` : 'no drift' });
    for (const item of r.kept) {
      findings.push({ rule: `drift.${item.kind}`, title: `${fp}: ${item.address}`, message: item.kind === 'deleted' ? 'deleted outside Terraform' : `changed outside Terraform: ${item.attributes.map((a) => a.path).join(', ')}`, severity: 'error' });
    }
  }

  // Drift issues: one per stack fingerprint, updated in place, closed when clean.
  const actions: Action[] = [];
  const writes: Write[] = [];
  if (config.issues.enabled && event.repo) {
    const api = await deps.github(event.repo).catch(() => undefined);
    const open = api ? await api.listOpenIssues(config.issues.labels[0] ?? 'drift') : [];
    const base = `/repos/${event.repo.owner}/${event.repo.name}/issues`;
    const runUrl = deps.env.GITHUB_RUN_ID ? `${deps.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${event.repo.fullName}/actions/runs/${deps.env.GITHUB_RUN_ID}` : undefined;
    for (const r of reports) {
      if (r.result.status === 'error') continue;
      const fp = fingerprint(r.stack);
      const existing = open.find((i) => i.body.includes(marker(fp)));
      if (r.kept.length > 0) {
        const body = issueBody(r, runUrl);
        if (existing) {
          actions.push({ kind: 'update issue', target: `#${existing.number}`, reason: `drift persists in ${fp}`, status: 'planned' });
          writes.push({ method: 'PATCH', path: `${base}/${existing.number}`, body: { body } });
        } else {
          actions.push({ kind: 'open issue', target: fp, reason: `new drift in ${fp}`, status: 'planned' });
          writes.push({ method: 'POST', path: base, body: { title: `Drift: ${r.stack.name} (${r.stack.environment}, ${r.stack.region})`, body, labels: [...config.issues.labels, r.stack.environment] } });
        }
      } else if (existing && config.issues.close_when_clean) {
        actions.push({ kind: 'close issue', target: `#${existing.number}`, reason: `${fp} is clean again`, status: 'planned' });
        writes.push({ method: 'POST', path: `${base}/${existing.number}/comments`, body: { body: `No drift in ${fp} any more${runUrl ? ` (${runUrl})` : ''}; closing.` } });
        writes.push({ method: 'PATCH', path: `${base}/${existing.number}`, body: { state: 'closed', state_reason: 'completed' } });
      }
    }
  }
  const webhook = config.webhook_env ? deps.env[config.webhook_env] : undefined;
  const fresh = actions.filter((a) => a.kind === 'open issue');
  if (webhook && fresh.length > 0) actions.push({ kind: 'notify', target: 'webhook', reason: `${fresh.length} new drift issue(s)`, status: 'planned' });
  ctx.state.set('drift', { writes, webhook, fresh: fresh.map((a) => a.target) });

  const errors = reports.filter((r) => r.result.status === 'error').length;
  const drifted = reports.filter((r) => r.kept.length > 0).length;
  return {
    verdict: errors > 0 ? 'error' : drifted > 0 ? 'fail' : 'pass',
    summary: `${reports.length} stacks checked: ${drifted} drifted, ${reports.length - drifted - errors} clean${errors ? `, ${errors} could not be checked` : ''}`,
    findings,
    actions,
    decisions,
    data: { stacks: reports.map((r) => ({ fingerprint: fingerprint(r.stack), status: r.result.status, drift: r.kept, ignored: r.ignored })) },
  };
}

export async function applyDrift(planned: StepOutcome, ctx: StepContext<DriftConfig>): Promise<StepOutcome> {
  const state = ctx.state.get('drift') as { writes: Write[]; webhook?: string; fresh: string[] } | undefined;
  if (!state) return planned;
  const actions: Action[] = [];
  const api = state.writes.length > 0 && ctx.event.repo ? await ctx.deps.github(ctx.event.repo) : undefined;
  let w = 0;
  for (const action of planned.actions) {
    if (action.kind === 'notify') {
      // Notifications retry and are never fatal to the run.
      try {
        await withRetry(async () => {
          const response = await fetch(state.webhook!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `DriftGuard: new Terraform drift in ${state.fresh.join(', ')}` }) });
          if (!response.ok) throw Object.assign(new Error(`webhook answered HTTP ${response.status}`), { status: response.status });
        }, { retries: 3, minDelayMs: 100, maxElapsedMs: 15_000 });
        actions.push({ ...action, status: 'done' });
      } catch (err) {
        actions.push({ ...action, status: 'failed', detail: describeError(err) });
      }
      continue;
    }
    const count = action.kind === 'close issue' ? 2 : 1;
    try {
      for (let i = 0; i < count; i++) await api!.write(state.writes[w + i]!);
      actions.push({ ...action, status: 'done' });
    } catch (err) {
      actions.push({ ...action, status: 'failed', detail: describeError(err) });
    }
    w += count;
  }
  return { ...planned, actions };
}
