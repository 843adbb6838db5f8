import type { RunResult, StepRecord } from '../engine.ts';
import type { Finding } from '../module.ts';
import { inertCode, inertJsonLine, inertMarkdown, inertText } from './inert.ts';

export const FORMATS = ['text', 'json', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

const EFFECT_LABEL: Record<StepRecord['effect'], string> = { pass: 'PASS', block: 'FAIL', warn: 'WARN', error: 'ERROR', overridden: 'OVERRIDDEN' };
/** The step's own word when it has one (an override REFUSED), else its effect. */
const label = (step: StepRecord) => (step.effect === 'pass' && step.outcome.label ? step.outcome.label : EFFECT_LABEL[step.effect]);
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
  /** Text only: ANSI colour on the step and result labels. */
  color?: boolean;
  /** Text only: the result line alone. */
  quiet?: boolean;
  /** What went to GitHub, or would have in dry-run. */
  githubWrites?: ReadonlyArray<{ method: string; path: string; body: Record<string, unknown>; done: boolean }>;
}

const COLOURS: Record<string, number> = { PASS: 32, GRANTED: 32, FAIL: 31, BLOCKED: 31, REFUSED: 31, WARN: 33, IGNORED: 33, ERROR: 35, INCOMPLETE: 35, OVERRIDDEN: 36 };
const paint = (on: boolean | undefined, word: string, padded = word) => (on && COLOURS[word] ? `\x1b[${COLOURS[word]}m${padded}\x1b[0m` : padded);

/** The plain-text report: every line one line, whatever the pull request's paths or names hold. */
export function formatText(result: RunResult, extra: ReportExtra = {}): string {
  const t = (text: string, max?: number) => inertText(text, max);
  const verdict = `Result: ${paint(extra.color, OUTCOME_LABEL[result.outcome])} (exit ${result.exitCode}): ${t(result.reason)}`;
  if (extra.quiet) return `${verdict}\n`;
  const lines = [`DriftGuard ${t(subject(result))}`];
  if (result.steps.length === 0) lines.push('  no workflow steps for this event in the policy');
  for (const step of result.steps) {
    const blocks = step.effect === 'block' ? ' (blocks)' : '';
    lines.push(`  ${paint(extra.color, label(step), label(step).padEnd(5))} ${step.module}${blocks}: ${t(step.outcome.summary)}  [${step.durationMs} ms]`);
    const table = step.outcome.data?.table as { columns: string[]; rows: string[][] } | undefined;
    if (table && table.rows.length > 0) lines.push(...renderTable(table.columns, table.rows.map((r) => r.map((c) => t(c, 200)))).map((l) => `        ${l}`));
    for (const finding of step.outcome.findings) {
      const at = where(finding);
      lines.push(`        ${at ? `${t(at, 300)}  ` : ''}${t(finding.title, 300)}: ${t(finding.message)}`);
      if (finding.suggestion) lines.push(`          suggested doc text: ${t(finding.suggestion.split('\n')[0]!, 300)}`);
    }
    for (const action of step.outcome.actions) {
      const verb = action.status === 'planned' ? (result.dryRun ? 'would' : 'planned') : action.status;
      lines.push(`        ${verb} ${t(action.kind)} ${t(action.target, 300)}: ${t(action.reason)}${action.detail ? ` (${t(action.detail)})` : ''}`);
    }
  }
  lines.push(verdict);
  if (extra.auditFile) lines.push(`Audit: ${t(extra.auditFile)}`);
  const writes = extra.githubWrites ?? [];
  if (writes.length > 0) {
    lines.push(result.dryRun ? 'Dry run: would have written to GitHub:' : 'Written to GitHub:');
    for (const w of writes) lines.push(`  ${w.done ? '' : result.dryRun ? 'would ' : 'not '}${w.method} ${t(w.path)} ${t(JSON.stringify(w.body), 100_000)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** GitHub's limit on a comment body, a check run's summary and its text (characters). */
export const GITHUB_TEXT_LIMIT = 65_536;

const SEVERITY_RANK: Record<Finding['severity'], number> = { error: 0, warning: 1, notice: 2 };

export interface MarkdownOptions {
  /** At most this many characters (GitHub's limit by default); findings beyond it are counted, not listed. */
  maxChars?: number;
  /** Where the findings left out can be read, named in the "N more" line. */
  rest?: string;
}

/**
 * The Markdown report (sticky comment, job summary, check runs): PR-controlled text is rendered
 * inert (`inertMarkdown`, `inertCode`). It stays within `maxChars`: blocking steps first and errors
 * before warnings, and when findings must be left out the last line says how many and where they are.
 */
export function formatMarkdown(result: RunResult, extra: ReportExtra = {}, options: MarkdownOptions = {}): string {
  const max = options.maxChars ?? GITHUB_TEXT_LIMIT;
  const icon = result.outcome === 'pass' ? '✅' : result.outcome === 'blocked' ? '❌' : '⚠️';
  const head = [`### ${icon} DriftGuard: ${OUTCOME_LABEL[result.outcome]}`, '', `${inertMarkdown(subject(result))}: ${inertMarkdown(result.reason, 2000)}`, ''];
  if (result.steps.length > 0) {
    head.push('| Step | Result | Summary |', '| --- | --- | --- |');
    for (const step of result.steps) head.push(`| ${step.module} | ${label(step)} | ${inertMarkdown(step.outcome.summary, 500)} |`);
    head.push('');
  }
  const tail: string[] = [];
  if (extra.auditFile) tail.push(`<sub>audit: ${inertMarkdown(extra.auditFile)} · run ${inertMarkdown(result.runId)}</sub>`, '');

  const order = { block: 0, error: 1, warn: 2, overridden: 3, pass: 4 } as const;
  const steps = [...result.steps].sort((a, b) => order[a.effect] - order[b.effect]);
  const body: string[] = [];
  let used = head.join('\n').length + tail.join('\n').length + 400;
  let left = 0;
  const room = (line: string) => {
    if (left > 0 || used + line.length + 1 > max) return false;
    used += line.length + 1;
    return true;
  };
  for (const step of steps) {
    if (step.outcome.findings.length === 0 && step.outcome.actions.length === 0) continue;
    const lines: string[] = [];
    const findings = [...step.outcome.findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
    for (const finding of findings) {
      const at = where(finding);
      let line = `- ${at ? `${inertCode(at)} ` : ''}**${inertMarkdown(finding.title, 300)}**: ${inertMarkdown(finding.message, 2000)}`;
      if (finding.suggestion) line += `\n  - suggested doc text: ${inertMarkdown(finding.suggestion, 1000)}`;
      if (room(line)) lines.push(line);
      else left++;
    }
    for (const action of step.outcome.actions) {
      const verb = action.status === 'planned' ? (result.dryRun ? 'would' : 'planned') : action.status;
      const line = `- ${verb} ${inertMarkdown(action.kind)} ${inertCode(action.target)}: ${inertMarkdown(action.reason, 1000)}`;
      if (room(line)) lines.push(line);
      else left++;
    }
    if (lines.length > 0) body.push(`#### ${step.module}`, '', ...lines, '');
  }
  if (left > 0) body.push(`**${left} more not shown here** (GitHub's size limit): ${options.rest ?? 'see the check runs, the job summary and the audit artifact'}.`, '');
  return `${[...head, ...body, ...tail].join('\n')}\n`;
}

export function formatResult(result: RunResult, format: Format, extra: ReportExtra = {}): string {
  if (format === 'json') return `${inertJsonLine(JSON.stringify(resultView(result, { auditFile: extra.auditFile, github: { writes: extra.githubWrites ?? [] } }), null, 2))}\n`;
  if (format === 'markdown') return formatMarkdown(result, extra);
  return formatText(result, extra);
}
