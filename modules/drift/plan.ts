import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describeError } from '../../src/errors.ts';
import type { GitHubApi } from '../../src/github/api.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Action, Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { httpCall } from '../../src/http.ts';
import { argoClient } from './argocd.ts';
import { inertCode } from '../../src/report/inert.ts';
import { SENSITIVE, type DriftItem } from './classify.ts';
import { applyIgnore } from './ignore.ts';
import { jiraClient } from './jira.ts';
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

/** The drifted attributes of a resource, sensitive ones named with their value withheld. */
export const describeAttributes = (item: DriftItem): string => item.attributes.map((a) => (a.sensitive ? `${a.path} ${SENSITIVE}` : a.path)).join(', ') || '(no attribute named by Terraform)';

/** Runs every selected stack, with bounded parallelism per environment, and applies ignore rules. */
export async function detect(ctx: StepContext<DriftConfig>): Promise<StackReport[]> {
  const { config, deps } = ctx;
  const inputs = (ctx.event.inputs ?? {}) as Record<string, unknown>;
  const stacks = config.stacks.filter((s) => (!inputs.environment || s.environment === inputs.environment) && (!inputs.region || s.region === inputs.region));
  const baseline = await readBaseline(resolve(deps.cwd, config.baseline));
  const byEnv = new Map<string, Stack[]>();
  for (const s of stacks) byEnv.set(s.environment, [...(byEnv.get(s.environment) ?? []), s]);
  const reports: StackReport[] = [];
  await Promise.all(
    [...byEnv.values()].map((group) =>
      mapLimit(group, config.parallelism, async (stack) => {
        const result = await checkStack(stack, config, deps);
        const { kept, ignored } = result.status === 'drift' ? applyIgnore(result.items, config.ignore, baseline) : { kept: [], ignored: [] };
        reports.push({ stack, result, kept, ignored });
      }),
    ),
  );
  return reports.sort((a, b) => fingerprint(a.stack).localeCompare(fingerprint(b.stack)));
}

function issueBody(report: StackReport, runUrl: string | undefined): string {
  const fp = fingerprint(report.stack);
  const rows = report.kept.map((i) => `| ${inertCode(i.address, { table: true })} | ${i.kind} | ${i.attributes.map((a) => `${inertCode(a.path, { table: true })}${a.sensitive ? ' (sensitive)' : ''}`).join(', ') || '-'} |`);
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

/** Something that can drift and has one issue: a Terraform stack, or an Argo CD application. */
interface Subject {
  fp: string;
  title: string;
  labels: string[];
  drifted: boolean;
  body: string;
}

/** One side effect of the run, described for the plan and performed by apply. */
interface Op {
  action: Action;
  run(api: GitHubApi | undefined): Promise<void>;
}

const JIRA_MARKER = /<!-- driftguard:jira ([A-Z][A-Z0-9]+-\d+) -->/;

export async function planDrift(ctx: StepContext<DriftConfig>): Promise<StepOutcome> {
  const { config, event, deps } = ctx;
  if (config.stacks.length === 0 && !config.argocd.enabled) return { verdict: 'error', summary: 'nothing to check: no stacks under modules.drift.stacks and Argo CD off', findings: [], actions: [], decisions: [] };
  const reports = await detect(ctx);
  const findings: Finding[] = [];
  const decisions: Decision[] = [];
  const runUrl = event.repo && deps.env.GITHUB_RUN_ID ? `${deps.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${event.repo.fullName}/actions/runs/${deps.env.GITHUB_RUN_ID}` : undefined;
  const subjects: Subject[] = [];
  let errors = 0;
  for (const r of reports) {
    const fp = fingerprint(r.stack);
    if (r.result.status === 'error') {
      errors++;
      findings.push({ rule: 'drift.error', title: fp, message: r.result.reason, severity: 'error' });
      decisions.push({ subject: fp, decision: 'error', reason: r.result.reason });
      continue;
    }
    decisions.push({ subject: fp, decision: r.kept.length ? 'drift' : 'clean', reason: r.kept.length ? `${r.kept.length} resource(s) drifted${r.ignored.length ? `, ${r.ignored.length} ignored` : ''}` : r.ignored.length ? `only ignored drift (${r.ignored.length})` : 'no drift' });
    for (const item of r.kept) {
      findings.push({ rule: `drift.${item.kind}`, title: `${fp}: ${item.address}`, message: item.kind === 'deleted' ? 'deleted outside Terraform' : `changed outside Terraform: ${describeAttributes(item)}`, severity: 'error' });
    }
    subjects.push({ fp, title: `Drift: ${r.stack.name} (${r.stack.environment}, ${r.stack.region})`, labels: [...config.issues.labels, r.stack.environment], drifted: r.kept.length > 0, body: issueBody(r, runUrl) });
  }

  if (config.argocd.enabled) {
    try {
      const apps = (await argoClient(deps.env, deps.redactor).list()).filter((a) => config.argocd.projects.length === 0 || config.argocd.projects.includes(a.project));
      for (const app of apps) {
        const fp = `workload/${app.name}`;
        const drifted = app.sync === 'OutOfSync';
        decisions.push({ subject: fp, decision: drifted ? 'drift' : 'clean', reason: `Argo CD sync ${app.sync}, health ${app.health}` });
        if (drifted) findings.push({ rule: 'drift.workload', title: fp, message: `Argo CD application ${app.name} is OutOfSync (health ${app.health})`, severity: 'error' });
        subjects.push({ fp, title: `Workload drift: ${app.name}`, labels: ['drift', 'workload-drift'], drifted, body: [marker(fp), `Argo CD application **${app.name}** (project \`${app.project}\`) is ${app.sync}, health ${app.health}.`, runUrl ? `Detected by ${runUrl}.` : ''].join('\n') });
      }
    } catch (err) {
      errors++;
      findings.push({ rule: 'drift.error', title: 'argocd', message: describeError(err), severity: 'error' });
    }
  }

  // Drift issues: one per fingerprint, updated in place, commented and closed when clean.
  const ops: Op[] = [];
  if (config.issues.enabled && event.repo) {
    const api = await deps.github(event.repo).catch(() => undefined);
    const open = api ? [...(await api.listOpenIssues('drift'))] : [];
    const base = `/repos/${event.repo.owner}/${event.repo.name}/issues`;
    const jira = config.jira.enabled ? (() => { try { return jiraClient(config.jira, deps.env, deps.redactor); } catch (err) { findings.push({ rule: 'drift.jira', title: 'jira', message: describeError(err), severity: 'warning' }); return undefined; } })() : undefined;
    for (const subject of subjects) {
      const existing = open.find((i) => i.body.includes(marker(subject.fp)));
      if (subject.drifted && existing) {
        const keep = JIRA_MARKER.exec(existing.body)?.[0] ?? '';
        ops.push({ action: { kind: 'update issue', target: `#${existing.number}`, reason: `drift persists in ${subject.fp}`, status: 'planned' }, run: (gh) => gh!.write({ method: 'PATCH', path: `${base}/${existing.number}`, body: { body: `${subject.body}\n${keep}` } }).then(() => undefined) });
      } else if (subject.drifted) {
        ops.push({
          action: { kind: 'open issue', target: subject.fp, reason: `new drift in ${subject.fp}`, status: 'planned' },
          run: async (gh) => {
            let body = subject.body;
            if (jira) {
              // Notification sinks never fail the run: a Jira error is logged and the issue still opens.
              try {
                const key = await jira.create(subject.title, subject.body.replace(/<!--.*?-->/g, ''));
                body += `\nJira: ${key}\n<!-- driftguard:jira ${key} -->`;
              } catch (err) {
                deps.log.warn({ error: describeError(err) }, 'could not create the Jira ticket');
              }
            }
            await gh!.write({ method: 'POST', path: base, body: { title: subject.title, body, labels: subject.labels } });
          },
        });
      } else if (existing && config.issues.close_when_clean) {
        ops.push({
          action: { kind: 'close issue', target: `#${existing.number}`, reason: `${subject.fp} is clean again`, status: 'planned' },
          run: async (gh) => {
            await gh!.write({ method: 'POST', path: `${base}/${existing.number}/comments`, body: { body: `No drift in ${subject.fp} any more${runUrl ? ` (${runUrl})` : ''}; closing.` } });
            await gh!.write({ method: 'PATCH', path: `${base}/${existing.number}`, body: { state: 'closed', state_reason: 'completed' } });
            const key = JIRA_MARKER.exec(existing.body)?.[1];
            if (jira && key) await jira.transition(key).catch((err: unknown) => deps.log.warn({ error: describeError(err), key }, 'could not transition the Jira ticket'));
          },
        });
      }
    }
  }
  const webhook = config.webhook_env ? deps.env[config.webhook_env] : undefined;
  const fresh = ops.filter((o) => o.action.kind === 'open issue').map((o) => o.action.target);
  if (webhook && fresh.length > 0) {
    ops.push({
      action: { kind: 'notify', target: 'webhook', reason: `${fresh.length} new drift issue(s)`, status: 'planned' },
      run: () =>
        httpCall('the webhook', webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `DriftGuard: new drift in ${fresh.join(', ')}` }) }, { json: false, minDelayMs: 100, maxElapsedMs: 15_000 }).then(() => undefined),
    });
  }
  ctx.state.set('drift', ops);

  const drifted = subjects.filter((x) => x.drifted).length;
  return {
    verdict: errors > 0 ? 'error' : drifted > 0 ? 'fail' : 'pass',
    summary: `${reports.length} stacks checked: ${reports.filter((r) => r.kept.length > 0).length} drifted, ${reports.filter((r) => r.result.status === 'clean' || (r.result.status === 'drift' && r.kept.length === 0)).length} clean${reports.some((r) => r.result.status === 'error') ? `, ${reports.filter((r) => r.result.status === 'error').length} could not be checked` : ''}${config.argocd.enabled ? `; Argo CD: ${subjects.filter((x) => x.fp.startsWith('workload/') && x.drifted).length} OutOfSync` : ''}`,
    findings,
    actions: ops.map((o) => o.action),
    decisions,
    data: { stacks: reports.map((r) => ({ fingerprint: fingerprint(r.stack), status: r.result.status, drift: r.kept, ignored: r.ignored })) },
  };
}

/** Performs the planned writes; notifications and issue updates that fail are reported, never fatal. */
export async function applyDrift(planned: StepOutcome, ctx: StepContext<DriftConfig>): Promise<StepOutcome> {
  const ops = ctx.state.get('drift') as Op[] | undefined;
  if (!ops) return planned;
  const api = ops.some((o) => o.action.kind !== 'notify') && ctx.event.repo ? await ctx.deps.github(ctx.event.repo) : undefined;
  const actions: Action[] = [];
  for (const op of ops) {
    try {
      await op.run(api);
      actions.push({ ...op.action, status: 'done' });
    } catch (err) {
      actions.push({ ...op.action, status: 'failed', detail: describeError(err) });
    }
  }
  return { ...planned, actions };
}
