import * as z from 'zod';
import type { RunResult } from '../engine.ts';
import { DriftGuardError } from '../errors.ts';
import { PR_EVENTS } from '../events.ts';

/**
 * The verdict a read-only pull request job hands to the job that may write (forks: the
 * `workflow_run` publisher). It arrives from a job that ran beside the pull request's code, so
 * the publisher reads it as hostile data: strict schema, bounded sizes, and every claim about
 * where it belongs checked against GitHub's own answers.
 */
export const VERDICT_ARTIFACT = 'driftguard-verdict';
export const VERDICT_FILE = 'driftguard-verdict.json';
export const VERDICT_FORMAT = 1;
/** The artifact as GitHub stores it (a zip), and the verdict file inside it. */
export const MAX_ARTIFACT_BYTES = 1024 * 1024;
export const MAX_VERDICT_BYTES = 4 * 1024 * 1024;

const MAX_FINDINGS = 1000;
const MAX_REPORT = 1024 * 1024;
const text = (max: number) => z.string().max(max);
const Sha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a 40-character commit SHA');

export const VerdictFinding = z.strictObject({
  rule: text(200),
  title: text(1000),
  message: text(8000),
  severity: z.enum(['error', 'warning', 'notice']),
  file: text(1000).optional(),
  line: z.number().int().positive().optional(),
  source: text(200).optional(),
  suggestion: text(8000).optional(),
});
export type VerdictFinding = z.infer<typeof VerdictFinding>;

export const VerdictStep = z.strictObject({
  module: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a module id'),
  verdict: z.enum(['pass', 'fail', 'error']),
  summary: text(4000),
  findings: z.array(VerdictFinding).max(MAX_FINDINGS),
});
export type VerdictStep = z.infer<typeof VerdictStep>;

export const VerdictFile = z.strictObject({
  format: z.literal(VERDICT_FORMAT),
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name'),
  pullRequest: z.number().int().positive(),
  headSha: Sha,
  baseSha: Sha,
  event: z.enum(PR_EVENTS as unknown as ['pr_opened', 'pr_synchronize', 'pr_reopened']),
  outcome: z.enum(['pass', 'blocked', 'error']),
  steps: z.array(VerdictStep).max(64),
  /** The markdown report as the read-only job rendered it; the publisher renders its own. */
  report: text(MAX_REPORT),
});
export type VerdictFile = z.infer<typeof VerdictFile>;

const clip = (value: string, max: number) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

/** The verdict file of a pull request run, within the limits the publisher accepts. */
export function toVerdictFile(result: RunResult, report: string): VerdictFile {
  const pr = result.event.pr;
  const repo = result.event.repo;
  if (!pr || !repo) throw new DriftGuardError('usage', '--verdict-dir needs a pull request event from GitHub (repository and pull request in the payload)');
  return {
    format: VERDICT_FORMAT,
    repository: repo.fullName,
    pullRequest: pr.number,
    headSha: pr.headSha,
    baseSha: pr.baseSha,
    event: result.event.name as VerdictFile['event'],
    outcome: result.outcome,
    steps: result.steps.map((s) => ({
      module: s.module,
      verdict: s.verdict,
      summary: clip(s.outcome.summary, 4000),
      findings: s.outcome.findings.slice(0, MAX_FINDINGS).map((f) => ({
        rule: clip(f.rule, 200),
        title: clip(f.title, 1000),
        message: clip(f.message, 8000),
        severity: f.severity,
        ...(f.file !== undefined ? { file: clip(f.file, 1000) } : {}),
        ...(f.line !== undefined && f.line > 0 ? { line: f.line } : {}),
        ...(f.source !== undefined ? { source: clip(f.source, 200) } : {}),
        ...(f.suggestion !== undefined ? { suggestion: clip(f.suggestion, 8000) } : {}),
      })),
    })),
    report: clip(report, MAX_REPORT),
  };
}

/** Parses the bytes of a verdict file; every problem is named, nothing is taken on trust. */
export function parseVerdictFile(bytes: Buffer, where: string): VerdictFile {
  if (bytes.length > MAX_VERDICT_BYTES) {
    throw new DriftGuardError('payload_invalid', `${where}: the verdict file is ${bytes.length} bytes, over the ${MAX_VERDICT_BYTES}-byte limit; nothing was published`);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DriftGuardError('payload_invalid', `${where}: the verdict file is not JSON (${(err as Error).message}); nothing was published`);
  }
  const parsed = VerdictFile.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new DriftGuardError('payload_invalid', `${where}: the verdict file is not a valid DriftGuard verdict (format ${VERDICT_FORMAT}); nothing was published`, { details });
  }
  return parsed.data;
}
