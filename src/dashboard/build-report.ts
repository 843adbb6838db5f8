import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DriftGuardError } from '../errors.ts';
import { parseDuration } from '../duration.ts';
import { chartLibrary } from './chart-library.ts';
import { DashboardBuilder, type DashboardModel } from './model.ts';
import { readArtifacts } from './read-artifacts.ts';
import { renderDashboard } from './render.ts';

export interface ReportOptions {
  /** The folder of audit artifacts and journals (searched up to 4 folders deep). */
  auditDir: string;
  /** The HTML file to write; its folder is created. */
  out: string;
  /** Only runs that started within this duration before `now` ("30d", "12h"). */
  since?: string;
  now: Date;
  /** Rows each table lists at most (the newest); default 500. */
  rowLimit?: number;
}

export interface ReportResult {
  model: DashboardModel;
  /** Files looked at (.json and .jsonl). */
  files: number;
  /** Size of the written HTML, in bytes. */
  bytes: number;
  out: string;
}

/**
 * Reads every audit artifact and janitor journal under `auditDir` and writes the dashboard to
 * `out` as one self-contained HTML file (links to the artifacts are relative to it).
 * @throws DriftGuardError('usage') when `since` is not a duration or `auditDir` is not a folder;
 *   DriftGuardError('io_failed') when the report cannot be written.
 */
export async function buildReport(options: ReportOptions): Promise<ReportResult> {
  const sinceMs = options.since === undefined ? undefined : parseDuration(options.since);
  if (options.since !== undefined && sinceMs === undefined) throw new DriftGuardError('usage', `--since must be a duration such as "30d" or "12h", got "${options.since}"`);
  const dir = resolve(options.auditDir);
  const out = resolve(options.out);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new DriftGuardError('usage', `--audit-dir ${options.auditDir}: ${info ? 'not a folder' : 'no such folder'}`);
  const builder = new DashboardBuilder({ sinceMs, since: options.since, now: options.now, rowLimit: options.rowLimit });
  const files = await readArtifacts(builder, { dir, linkBase: dirname(out) });
  const model = builder.build();
  const html = renderDashboard(model, chartLibrary());
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, html);
  } catch (err) {
    throw new DriftGuardError('io_failed', `cannot write the report ${options.out}: ${(err as Error).message}`, { cause: err });
  }
  return { model, files, bytes: Buffer.byteLength(html), out };
}
