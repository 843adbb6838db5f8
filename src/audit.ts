import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from './engine.ts';
import type { Redactor } from './redact.ts';

export const AUDIT_FORMAT_VERSION = 1;

export interface AuditRecord {
  format: number;
  runId: string;
  event: string;
  source: string;
  repository?: string;
  sha?: string;
  pullRequest?: number;
  actor: string;
  dryRun: boolean;
  policy: { file: string; hash: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: string;
  exitCode: number;
  path: string[];
  steps: RunResult['steps'];
}

export function auditRecord(result: RunResult, policy: { file: string; hash: string }): AuditRecord {
  return {
    format: AUDIT_FORMAT_VERSION,
    runId: result.runId,
    event: result.event.name,
    source: result.event.source,
    repository: result.event.repo?.fullName,
    sha: result.event.pr?.headSha ?? result.event.sha,
    pullRequest: result.event.pr?.number,
    actor: result.event.actor,
    dryRun: result.dryRun,
    policy,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    outcome: result.outcome,
    exitCode: result.exitCode,
    path: result.path,
    steps: result.steps,
  };
}

/** Writes `<dir>/<name>` atomically: a reader sees the old file or the whole new one, never half. */
export async function writeJsonAtomic(dir: string, name: string, value: unknown, redactor: Redactor): Promise<string> {
  await mkdir(dir, { recursive: true });
  const final = join(dir, name);
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const text = redactor.scrub(`${JSON.stringify(value, null, 2)}\n`);
  try {
    await writeFile(temp, text, { mode: 0o644, flag: 'wx' });
    await rename(temp, final);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return final;
}

export function auditFileName(event: string, runId: string): string {
  return `driftguard-${event}-${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}
