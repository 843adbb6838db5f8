import type { RunResult, StepRecord } from '../engine.ts';
import type { Finding } from '../module.ts';

export const FORMATS = ['text', 'json', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

const EFFECT_LABEL: Record<StepRecord['effect'], string> = { pass: 'PASS', block: 'FAIL', warn: 'WARN', error: 'ERROR', overridden: 'OVERRIDDEN' };
const OUTCOME_LABEL: Record<RunResult['outcome'], string> = { pass: 'PASS', blocked: 'BLOCKED', error: 'INCOMPLETE' };

function where(finding: Finding): string {
  if (!finding.file) return '';
  return finding.line ? `${finding.file}:${finding.line}` : finding.file;
}

function subject(result: RunResult): string {
  const e = result.event;
  const parts: string[] = [e.name];
  if (e.repo) parts.push(e.pr ? `${e.repo.fullName}#${e.pr.number}` : e.repo.fullName);
  const sha = e.pr?.headSha ?? e.sha;
  if (sha) parts.push(`@ ${sha.slice(0, 12)}`);
  if (result.dryRun) parts.push('(dry run)');
  return parts.join(' ');
}

/** A JSON-safe view of the result: the raw payload stays out of reports. */
export function resultView(result: RunResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { payload: _payload, ...event } = result.event;
  return { ...result, event, ...extra };
}

function renderTable(columns: string[], rows: string[][]): string[] {
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length))));
  const cell = (text: string, i: number) => (i === columns.length - 1 ? text : text.padEnd(widths[i]!));
  return [columns.map((c, i) => cell(c.toUpperCase(), i)).join('  '), ...rows.map((r) => r.map((c, i) => cell(c, i)).join('  '))];
}

export interface ReportExtra {
  auditFile?: string;
  /** What went to GitHub, or would have in dry-run. */
  githubWrites?: ReadonlyArray<{ method: string; path: string; body: Record<string, unknown>; done: boolean }>;
}

export function formatText(result: RunResult, extra: ReportExtra = {}): string {
  const lines = [`DriftGuard ${subject(result)}`];
  if (result.steps.length === 0) lines.push('  no workflow steps for this event in the policy');
  for (const step of result.steps) {
    const blocks = step.effect === 'block' ? ' (blocks)' : '';
    lines.push(`  ${EFFECT_LABEL[step.effect].padEnd(5)} ${step.module}${blocks}: ${step.outcome.summary}  [${step.durationMs} ms]`);
    const table = step.outcome.data?.table as { columns: string[]; rows: string[][] } | undefined;
    if (table && table.rows.length > 0) lines.push(...renderTable(table.columns, table.rows).map((l) => `        ${l}`));
    for (const finding of step.outcome.findings) {
      const at = where(finding);
      lines.push(`        ${at ? `${at}  ` : ''}${finding.title}: ${finding.message}`);
      if (finding.suggestion) lines.push(`          suggested doc text: ${finding.suggestion.split('\n')[0]}`);
    }
    for (const action of step.outcome.actions) {
      const verb = action.status === 'planned' ? (result.dryRun ? 'would' : 'planned') : action.status;
      lines.push(`        ${verb} ${action.kind} ${action.target}: ${action.reason}${action.detail ? ` (${action.detail})` : ''}`);
    }
  }
  lines.push(`Result: ${OUTCOME_LABEL[result.outcome]} (exit ${result.exitCode}): ${result.reason}`);
  if (extra.auditFile) lines.push(`Audit: ${extra.auditFile}`);
  const writes = extra.githubWrites ?? [];
  if (writes.length > 0) {
    lines.push(result.dryRun ? 'Dry run: would have written to GitHub:' : 'Written to GitHub:');
    for (const w of writes) lines.push(`  ${w.done ? '' : result.dryRun ? 'would ' : 'not '}${w.method} ${w.path} ${JSON.stringify(w.body)}`);
  }
  return `${lines.join('\n')}\n`;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|]/g, (c) => `\\${c}`).replace(/@(?=[A-Za-z0-9-])/g, '@\u200b');
}

export function formatMarkdown(result: RunResult, extra: ReportExtra = {}): string {
  const icon = result.outcome === 'pass' ? '✅' : result.outcome === 'blocked' ? '❌' : '⚠️';
  const lines = [`### ${icon} DriftGuard: ${OUTCOME_LABEL[result.outcome]}`, '', `${escapeMarkdown(subject(result))}: ${escapeMarkdown(result.reason)}`, ''];
  if (result.steps.length > 0) {
    lines.push('| Step | Result | Summary |', '| --- | --- | --- |');
    for (const step of result.steps) lines.push(`| ${step.module} | ${EFFECT_LABEL[step.effect]} | ${escapeMarkdown(step.outcome.summary)} |`);
    lines.push('');
  }
  for (const step of result.steps) {
    if (step.outcome.findings.length === 0 && step.outcome.actions.length === 0) continue;
    lines.push(`#### ${step.module}`, '');
    for (const finding of step.outcome.findings) {
      const at = where(finding);
      lines.push(`- ${at ? `\`${at}\` ` : ''}**${escapeMarkdown(finding.title)}**: ${escapeMarkdown(finding.message)}`);
      if (finding.suggestion) lines.push(`  - suggested doc text: ${escapeMarkdown(finding.suggestion)}`);
    }
    for (const action of step.outcome.actions) {
      const verb = action.status === 'planned' ? (result.dryRun ? 'would' : 'planned') : action.status;
      lines.push(`- ${verb} ${escapeMarkdown(action.kind)} \`${action.target}\`: ${escapeMarkdown(action.reason)}`);
    }
    lines.push('');
  }
  if (extra.auditFile) lines.push(`<sub>audit: ${escapeMarkdown(extra.auditFile)} · run ${escapeMarkdown(result.runId)}</sub>`, '');
  return `${lines.join('\n')}\n`;
}

export function formatResult(result: RunResult, format: Format, extra: ReportExtra = {}): string {
  if (format === 'json') return `${JSON.stringify(resultView(result, { auditFile: extra.auditFile, github: { writes: extra.githubWrites ?? [] } }), null, 2)}\n`;
  if (format === 'markdown') return formatMarkdown(result, extra);
  return formatText(result, extra);
}
