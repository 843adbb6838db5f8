import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, write as writeFd, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Redactor } from '../../src/redact.ts';

/**
 * One line of the janitor's journal. `open` and `close` bracket a live run; `intent` is written
 * just before a destructive call (a resource delete, a terraform apply of a destroy plan) and
 * `result` just after it; `accounted` is appended by a later run that found this journal
 * unfinished and completed what it left.
 */
export interface JournalRecord {
  at: string;
  kind: 'open' | 'intent' | 'result' | 'close' | 'accounted';
  runId: string;
  actor: string;
  op?: 'delete' | 'terraform destroy';
  /** The resource key, or "env NAME" for a terraform destroy. */
  subject?: string;
  decision?: string;
  reason?: string;
  /** deleted, gone, refused, skipped, failed; destroyed for terraform. */
  result?: string;
  /** For `accounted`: what became of each subject this journal started and never confirmed. */
  resolved?: Record<string, string>;
  /** For `open`: the process writing it, so that a live run's journal is never taken for an interrupted one. */
  host?: string;
  pid?: number;
}

export const JOURNAL_PREFIX = 'driftguard-janitor-journal-';

/**
 * The append-only journal of one live run: JSON lines in the audit folder, each on disk (written
 * and fsync()ed) before the call it announces, so a run killed at any point (SIGKILL, a cancelled
 * runner) leaves a trace of everything it started and finished.
 *
 * `write` resolves once its record is durable. Records written while a flush is under way go to
 * disk together in the next one (one write, one fsync: a group commit), and the flush runs off the
 * event loop, so concurrent deletes never wait on each other's disk syncs.
 */
export class Journal {
  readonly file: string;
  private fd: number | undefined;
  private count = 0;
  private pending: Array<{ line: string; done: () => void; fail: (err: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;

  private constructor(file: string, private readonly base: { runId: string; actor: string }, private readonly redactor: Redactor, private readonly clock: () => Date) {
    this.file = file;
    this.fd = openSync(file, 'a', 0o644);
  }

  /** Opens a new journal and writes its `open` record synchronously (so a journal that cannot be written stops the run before any delete). */
  static open(dir: string, base: { runId: string; actor: string }, redactor: Redactor, clock: () => Date): Journal {
    mkdirSync(dir, { recursive: true });
    const name = `${JOURNAL_PREFIX}${base.runId.replace(/[^A-Za-z0-9._-]/g, '_')}-${clock().getTime()}-${randomBytes(3).toString('hex')}.jsonl`;
    const journal = new Journal(join(dir, name), base, redactor, clock);
    appendRecord(journal.fd!, { at: clock().toISOString(), ...base, kind: 'open', host: hostname(), pid: process.pid }, redactor);
    journal.count++;
    return journal;
  }

  get records(): number {
    return this.count;
  }

  /** Appends a record; resolves when it is on disk, rejects when it could not be written. */
  write(record: Omit<JournalRecord, 'at' | 'runId' | 'actor'>): Promise<void> {
    if (this.fd === undefined) return Promise.reject(new Error(`journal ${this.file} is closed`));
    const line = this.redactor.scrub(`${JSON.stringify({ at: this.clock().toISOString(), ...this.base, ...record })}\n`);
    const written = new Promise<void>((done, fail) => this.pending.push({ line, done, fail }));
    this.count++;
    this.flushing ??= this.flush();
    return written;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const data = Buffer.from(batch.map((b) => b.line).join(''));
        let offset = 0;
        while (offset < data.length) offset += (await writeAsync(this.fd!, data, offset, data.length - offset, null)).bytesWritten;
        await fsyncAsync(this.fd!);
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    this.flushing = undefined;
  }

  /** Writes the `close` record once everything before it is on disk, and closes the file. */
  async close(summary: string): Promise<void> {
    await this.write({ kind: 'close', result: summary });
    await this.flushing;
    closeSync(this.fd!);
    this.fd = undefined;
  }
}

const writeAsync = promisify(writeFd) as (fd: number, buffer: Buffer, offset: number, length: number, position: number | null) => Promise<{ bytesWritten: number }>;
const fsyncAsync = promisify(fsync);

function appendRecord(fd: number, record: JournalRecord, redactor: Redactor): void {
  writeSync(fd, redactor.scrub(`${JSON.stringify(record)}\n`));
  fsyncSync(fd);
}

/** Every whole record of a journal; a line torn by a crash mid-write is ignored. */
export function readJournal(file: string): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // The last line of a killed run.
    }
  }
  return records;
}

/** What an interrupted run did and did not finish, read from its journal. */
export interface UnfinishedRun {
  file: string;
  runId: string;
  actor: string;
  startedAt: string;
  /** Destructive calls it confirmed, subject -> result. */
  finished: Record<string, string>;
  /** Destructive calls it started and never confirmed: the process died during or right after them. */
  unconfirmed: string[];
}

/** Journals in `dir` with no closing record and not yet accounted for by a later run. */
export function unfinishedRuns(dir: string): UnfinishedRun[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const runs: UnfinishedRun[] = [];
  for (const name of readdirSync(dir).filter((n) => n.startsWith(JOURNAL_PREFIX) && n.endsWith('.jsonl')).sort()) {
    const file = join(dir, name);
    const records = readJournal(file);
    if (records.some((r) => r.kind === 'close' || r.kind === 'accounted')) continue;
    const open = records.find((r) => r.kind === 'open');
    // Still being written by a live process on this machine (a parallel run, a shard): not interrupted.
    if (open?.host === hostname() && open.pid !== undefined && alive(open.pid)) continue;
    const finished: Record<string, string> = {};
    const started = new Set<string>();
    for (const r of records) {
      if (!r.subject) continue;
      if (r.kind === 'intent') started.add(r.subject);
      if (r.kind === 'result') {
        finished[r.subject] = r.result ?? 'unknown';
        started.delete(r.subject);
      }
    }
    runs.push({ file, runId: open?.runId ?? records[0]?.runId ?? name, actor: open?.actor ?? records[0]?.actor ?? 'unknown', startedAt: open?.at ?? '', finished, unconfirmed: [...started].sort() });
  }
  return runs;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Appends the record that closes an earlier, interrupted journal: the later run completed its job. */
export function markAccounted(run: UnfinishedRun, by: { runId: string; actor: string }, resolved: Record<string, string>, redactor: Redactor, now: Date): void {
  const fd = openSync(run.file, 'a');
  try {
    appendRecord(fd, { at: now.toISOString(), kind: 'accounted', ...by, reason: `completed by run ${by.runId}`, resolved }, redactor);
  } finally {
    closeSync(fd);
  }
}

/** One line about an interrupted run, for the summary and the findings. */
export function describeUnfinished(run: UnfinishedRun): string {
  const done = Object.entries(run.finished);
  const deleted = done.filter(([, r]) => r === 'deleted' || r === 'gone' || r === 'destroyed').length;
  const list = (items: string[]) => (items.length > 5 ? `${items.slice(0, 5).join(', ')} and ${items.length - 5} more` : items.join(', '));
  return (
    `run ${run.runId} by ${run.actor}${run.startedAt ? ` (started ${run.startedAt})` : ''} did not finish: ` +
    `${deleted} of ${done.length} destructive calls it confirmed removed their resource` +
    `${run.unconfirmed.length ? `; ${run.unconfirmed.length} started and never confirmed (${list(run.unconfirmed)})` : '; none left unconfirmed'}`
  );
}
