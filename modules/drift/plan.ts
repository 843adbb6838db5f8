import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describeError } from '../../src/errors.ts';
import type { GitHubApi } from '../../src/github/api.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Action, Decision, Finding, StepContext, StepOutcome } from '../../src/module.ts';
import { appId, argoClient } from './argocd.ts';
import { inertCode, inertMarkdown, inertText } from '../../src/report/inert.ts';
import { withRetry } from '../../src/retry.ts';
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
  /** The fingerprint an earlier release used for it (Argo CD apps were keyed by name alone). */
  legacy?: string;
}

/** Something an op wants said beside its own status: a Jira ticket left where it was, a sink's odd answer. */
interface OpNote {
  severity: 'warning' | 'error';
  message: string;
}

/**
 * One side effect of the run, described for the plan and performed by apply. `close` ops run
 * last and only when every op before them succeeded: nothing is closed on a run that went wrong.
 */
interface Op {
  action: Action;
  close?: boolean;
  run(api: GitHubApi | undefined): Promise<OpNote | void>;
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

  let argoUnchecked = 0;
  if (config.argocd.enabled) {
    try {
      const apps = (await argoClient(deps.env, deps.redactor).list()).filter((a) => config.argocd.projects.length === 0 || config.argocd.projects.includes(a.project));
      for (const app of apps) {
        // Identity is namespace/name: team-a/web and team-b/web are two applications with two issues.
        const id = appId(app);
        const fp = `workload/${id}`;
        const where = `Argo CD application ${inertText(id, 200)} (project ${inertText(app.project, 100)})`;
        if (app.problem) {
          // A state that cannot be checked is never clean: no update, no close, and the run is incomplete.
          errors++;
          argoUnchecked++;
          findings.push({ rule: 'drift.error', title: fp, message: `${where}: ${inertText(app.problem, 500)}`, severity: 'error' });
          decisions.push({ subject: fp, decision: 'error', reason: app.problem });
          continue;
        }
        const drifted = app.sync === 'OutOfSync';
        decisions.push({ subject: fp, decision: drifted ? 'drift' : 'clean', reason: `Argo CD sync ${app.sync}, health ${app.health}` });
        if (drifted) findings.push({ rule: 'drift.workload', title: fp, message: `${where} is OutOfSync (health ${inertText(app.health, 50)})`, severity: 'error' });
        subjects.push({
          fp,
          legacy: `workload/${app.name}`,
          title: `Workload drift: ${inertText(id, 200)}`,
          labels: ['drift', 'workload-drift'],
          drifted,
          body: [marker(fp), `Argo CD application ${inertCode(id, { max: 200 })} (project ${inertCode(app.project, { max: 100 })}) is ${app.sync}, health ${inertMarkdown(app.health, 50)}.`, runUrl ? `Detected by ${runUrl}.` : ''].join('\n'),
        });
      }
    } catch (err) {
      errors++;
      findings.push({ rule: 'drift.error', title: 'argocd', message: describeError(err), severity: 'error' });
    }
  }
  // Inside GitHub Actions a run with no repository would silently file nothing: say so. A local
  // run has no repository to file in by design.
  if (config.issues.enabled && !event.repo && deps.env.GITHUB_ACTIONS === 'true') {
    findings.push({ rule: 'drift.issues', title: 'drift issues', message: 'no repository to file drift issues in: the event names none and GITHUB_REPOSITORY is not set', severity: 'warning' });
  }

  // Drift issues: one per fingerprint, updated in place, commented and closed when clean.
  const ops: Op[] = [];
  const closes: Op[] = [];
  let heldOpen = 0;
  if (config.issues.enabled && event.repo) {
    const api = await deps.github(event.repo).catch(() => undefined);
    const open = api ? [...(await api.listOpenIssues('drift'))] : [];
    const base = `/repos/${event.repo.owner}/${event.repo.name}/issues`;
    const jira = config.jira.enabled ? (() => { try { return jiraClient(config.jira, deps.env, deps.redactor); } catch (err) { findings.push({ rule: 'drift.jira', title: 'jira', message: describeError(err), severity: 'warning' }); return undefined; } })() : undefined;
    const legacyCount = new Map<string, number>();
    for (const x of subjects) if (x.legacy) legacyCount.set(x.legacy, (legacyCount.get(x.legacy) ?? 0) + 1);
    for (const subject of subjects) {
      // An issue filed under the old name-only fingerprint is adopted only when the name is unique.
      const existing = open.find((i) => i.body.includes(marker(subject.fp))) ?? (subject.legacy && legacyCount.get(subject.legacy) === 1 ? open.find((i) => i.body.includes(marker(subject.legacy!))) : undefined);
      if (subject.drifted && existing) {
        const keep = JIRA_MARKER.exec(existing.body)?.[0] ?? '';
        ops.push({ action: { kind: 'update issue', target: `#${existing.number}`, reason: `drift persists in ${subject.fp}`, status: 'planned' }, run: (gh) => gh!.write({ method: 'PATCH', path: `${base}/${existing.number}`, body: { body: `${subject.body}\n${keep}` } }).then(() => undefined) });
      } else if (subject.drifted) {
        ops.push({
          action: { kind: 'open issue', target: subject.fp, reason: `new drift in ${subject.fp}`, status: 'planned' },
          run: async (gh) => {
            let body = subject.body;
            let note: OpNote | undefined;
            if (jira) {
              // The issue opens even when Jira fails; the failure makes the run incomplete.
              try {
                const key = await jira.create(subject.title, subject.body.replace(/<!--.*?-->/g, ''));
                body += `\nJira: ${key}\n<!-- driftguard:jira ${key} -->`;
              } catch (err) {
                note = { severity: 'error', message: `could not create the Jira ticket for ${subject.fp}: ${describeError(err)}` };
              }
            }
            await gh!.write({ method: 'POST', path: base, body: { title: subject.title, body, labels: subject.labels } });
            return note;
          },
        });
      } else if (existing && config.issues.close_when_clean) {
        if (errors > 0) {
          // Part of this run could not be checked: a clean subject keeps its issue until a whole run is clean.
          heldOpen++;
          decisions.push({ subject: subject.fp, decision: 'kept open', reason: `#${existing.number} stays open: ${errors} subject(s) of this run could not be checked` });
          continue;
        }
        closes.push({
          close: true,
          action: { kind: 'close issue', target: `#${existing.number}`, reason: `${subject.fp} is clean again`, status: 'planned' },
          run: async (gh) => {
            await gh!.write({ method: 'POST', path: `${base}/${existing.number}/comments`, body: { body: `No drift in ${subject.fp} any more${runUrl ? ` (${runUrl})` : ''}; closing.` } });
            await gh!.write({ method: 'PATCH', path: `${base}/${existing.number}`, body: { state: 'closed', state_reason: 'completed' } });
          },
        });
        const key = JIRA_MARKER.exec(existing.body)?.[1];
        if (jira && key) {
          closes.push({
            close: true,
            action: { kind: 'move Jira ticket', target: key, reason: `${subject.fp} is clean again: to status "${jira.doneStatus}"`, status: 'planned' },
            run: async () => {
              const moved = await jira.transition(key);
              if (moved.ok) return undefined;
              return { severity: 'warning', message: `Jira ticket ${key} not moved: ${moved.reason}` };
            },
          });
        }
      }
    }
  }
  const webhook = config.webhook_env ? deps.env[config.webhook_env] : undefined;
  const fresh = ops.filter((o) => o.action.kind === 'open issue').map((o) => o.action.target);
  if (webhook && fresh.length > 0) {
    ops.push({
      action: { kind: 'notify', target: 'webhook', reason: `${fresh.length} new drift issue(s)`, status: 'planned' },
      run: () => postWebhook(webhook, { text: `DriftGuard: new drift in ${fresh.join(', ')}` }),
    });
  }
  ops.push(...closes);
  if (heldOpen > 0) findings.push({ rule: 'drift.kept-open', title: 'drift issues', message: `${heldOpen} issue(s) of clean subjects kept open: this run could not check everything`, severity: 'warning' });
  ctx.state.set('drift', ops);

  const drifted = subjects.filter((x) => x.drifted).length;
  return {
    verdict: errors > 0 ? 'error' : drifted > 0 ? 'fail' : 'pass',
    summary: `${reports.length} stacks checked: ${reports.filter((r) => r.kept.length > 0).length} drifted, ${reports.filter((r) => r.result.status === 'clean' || (r.result.status === 'drift' && r.kept.length === 0)).length} clean${reports.some((r) => r.result.status === 'error') ? `, ${reports.filter((r) => r.result.status === 'error').length} could not be checked` : ''}${config.argocd.enabled ? `; Argo CD: ${subjects.filter((x) => x.fp.startsWith('workload/') && x.drifted).length} OutOfSync${argoUnchecked ? `, ${argoUnchecked} could not be checked` : ''}` : ''}`,
    findings,
    actions: ops.map((o) => o.action),
    decisions,
    data: { stacks: reports.map((r) => ({ fingerprint: fingerprint(r.stack), status: r.result.status, drift: r.kept, ignored: r.ignored })) },
  };
}

/**
 * Posts to a Slack-compatible webhook. Only an answer that says it was taken counts: HTTP 2xx
 * with an empty body, `ok`, `1` (Office 365 connectors) or JSON `{"ok": true}`. Anything else
 * (`{"ok": false, ...}`, an HTML page from a proxy) is an error naming what came back.
 */
export async function postWebhook(url: string, payload: unknown): Promise<void> {
  const text = await withRetry(
    async () => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      if (!response.ok) throw Object.assign(new Error(`the webhook answered HTTP ${response.status}`), { status: response.status, headers: response.headers });
      return (await response.text()).trim();
    },
    { retries: 3, minDelayMs: 100, maxElapsedMs: 15_000 },
  );
  if (text === '' || /^(ok|1)$/i.test(text)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && (parsed as { ok?: unknown }).ok === true) return;
  throw new Error(`the webhook answered an unexpected body: ${inertText(text, 200)}`);
}

/**
 * Performs the planned writes in order; a write that fails is reported and makes the run
 * incomplete (exit 3), and once one has failed no issue is closed (each close is skipped).
 */
export async function applyDrift(planned: StepOutcome, ctx: StepContext<DriftConfig>): Promise<StepOutcome> {
  const ops = ctx.state.get('drift') as Op[] | undefined;
  if (!ops) return planned;
  const api = ops.some((o) => o.action.kind !== 'notify') && ctx.event.repo ? await ctx.deps.github(ctx.event.repo) : undefined;
  const actions: Action[] = [];
  const findings: Finding[] = [...planned.findings];
  let failed = 0;
  for (const op of ops) {
    if (op.close && failed > 0) {
      actions.push({ ...op.action, status: 'skipped', detail: `not done: ${failed} earlier write(s) of this run failed` });
      continue;
    }
    try {
      const note = await op.run(api);
      actions.push({ ...op.action, status: note ? (note.severity === 'error' ? 'failed' : 'skipped') : 'done', ...(note ? { detail: note.message } : {}) });
      if (note) {
        if (note.severity === 'error') failed++;
        ctx.log.warn({ action: op.action.kind, target: op.action.target }, note.message);
        findings.push({ rule: 'drift.apply', title: `${op.action.kind} ${op.action.target}`, message: note.message, severity: note.severity });
      }
    } catch (err) {
      failed++;
      const message = describeError(err);
      ctx.log.warn({ action: op.action.kind, target: op.action.target, error: message }, `${op.action.kind} failed`);
      actions.push({ ...op.action, status: 'failed', detail: message });
      findings.push({ rule: 'drift.apply', title: `${op.action.kind} ${op.action.target}`, message, severity: 'error' });
    }
  }
  return { ...planned, verdict: failed > 0 ? 'error' : planned.verdict, findings, actions };
}
