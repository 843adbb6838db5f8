import * as z from 'zod';
import type { AuditRecord } from '../audit.ts';

/**
 * What the dashboard reads from an audit artifact (`driftguard-<event>-<runId>.json`): the fields
 * it shows, checked leniently (a file from an older or newer release still counts where these
 * fields are there; anything else in it is ignored). Files from outside are hostile: every string
 * read here is escaped where it is written.
 */
const Finding = z.object({
  rule: z.string(),
  title: z.string(),
  message: z.string().catch(''),
  severity: z.string().catch('warning'),
  file: z.string().optional().catch(undefined),
  line: z.number().optional().catch(undefined),
});
const Decision = z.object({ subject: z.string(), decision: z.string(), reason: z.string().catch('') });
const Action = z.object({ kind: z.string(), target: z.string(), reason: z.string().catch(''), status: z.string() });
const Outcome = z.object({
  verdict: z.string(),
  summary: z.string().catch(''),
  findings: z.array(Finding).catch([]),
  actions: z.array(Action).catch([]),
  decisions: z.array(Decision).catch([]),
  data: z.record(z.string(), z.unknown()).optional().catch(undefined),
});
const Step = z.object({
  module: z.string(),
  verdict: z.string(),
  effect: z.string(),
  startedAt: z.string().catch(''),
  durationMs: z.number().catch(0),
  outcome: Outcome,
});

export const AuditArtifact = z.object({
  format: z.number().int().min(1).max(1),
  runId: z.string(),
  event: z.string(),
  repository: z.string().optional().catch(undefined),
  pullRequest: z.number().optional().catch(undefined),
  actor: z.string().catch(''),
  dryRun: z.boolean().catch(false),
  startedAt: z.iso.datetime({ offset: true }),
  durationMs: z.number().catch(0),
  outcome: z.string(),
  exitCode: z.number().catch(-1),
  steps: z.array(Step),
});
export type AuditArtifact = z.infer<typeof AuditArtifact>;

/** One line of a janitor journal, as far as the dashboard reads it. */
export const JournalLine = z.object({
  at: z.iso.datetime({ offset: true }),
  kind: z.enum(['open', 'intent', 'result', 'close', 'accounted']),
  runId: z.string(),
  actor: z.string().catch(''),
  op: z.string().optional().catch(undefined),
  subject: z.string().optional().catch(undefined),
  result: z.string().optional().catch(undefined),
  reason: z.string().optional().catch(undefined),
});
export type JournalLine = z.infer<typeof JournalLine>;

// The real shape must stay readable: a change to AuditRecord that the dashboard could no longer
// read fails to compile here (the janitor's JournalRecord is checked the same way in its tests).
export type AssertReadable<T extends U, U> = T;
export type AuditReadable = AssertReadable<AuditRecord, z.input<typeof AuditArtifact>>;
