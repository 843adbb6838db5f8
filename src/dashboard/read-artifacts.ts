import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AuditArtifact, JournalLine } from './artifact.ts';
import type { DashboardBuilder } from './model.ts';

/** Folders below the audit folder that are searched (artifacts downloaded from Actions land one folder deep). */
const MAX_DEPTH = 4;
/** A file larger than this is not an audit artifact DriftGuard wrote; it is counted as malformed, never read. */
export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

/** Every `.json` and `.jsonl` file under `dir` (hidden files and folders left out), found lazily. */
async function* candidates(dir: string, depth = 0): AsyncGenerator<string> {
  const handle = await opendir(dir);
  for await (const entry of handle) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth < MAX_DEPTH) yield* candidates(path, depth + 1);
    } else if (entry.isFile() && /\.jsonl?$/.test(entry.name)) {
      yield path;
    }
  }
}

export interface ReadOptions {
  /** The audit folder. */
  dir: string;
  /** Where links in the report are relative to (the report's folder). */
  linkBase: string;
}

/**
 * Reads the audit artifacts and janitor journals under `dir` into `builder`, one file at a time:
 * the folder is listed lazily and only the file being read is in memory. A file that is not JSON,
 * or is JSON of another shape, is counted in `builder.skipped` and never stops the read.
 * Resolves with the number of files looked at. Rejects only when `dir` itself cannot be listed.
 */
export async function readArtifacts(builder: DashboardBuilder, options: ReadOptions): Promise<number> {
  let seen = 0;
  for await (const path of candidates(options.dir)) {
    seen++;
    readOne(builder, path, relative(options.linkBase, path).split(sep).join('/'));
  }
  return seen;
}

/**
 * The file's text, or undefined when it is larger than MAX_ARTIFACT_BYTES. Read synchronously:
 * audit artifacts are small local files, and the promise API's open, stat, read and close hops
 * through the thread pool cost several times the read itself (about 4 s against 0.7 s for 10,000).
 */
function readSmall(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size > MAX_ARTIFACT_BYTES) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function readOne(builder: DashboardBuilder, path: string, link: string): void {
  let text: string | undefined;
  try {
    text = readSmall(path);
  } catch {
    builder.skipped.unreadable++;
    return;
  }
  if (text === undefined) {
    builder.skipped.malformed++;
    return;
  }
  if (path.endsWith('.jsonl')) {
    const lines: JournalLine[] = [];
    let bad = 0;
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      try {
        const parsed = JournalLine.safeParse(JSON.parse(raw));
        if (parsed.success) lines.push(parsed.data);
        else bad++;
      } catch {
        // A line torn by a crash mid-write: the journal's own reader ignores it too.
        bad++;
      }
    }
    if (lines.length === 0) {
      if (bad > 0) builder.skipped.malformed++;
      else builder.skipped.foreign++;
      return;
    }
    builder.addJournal(lines, link);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    builder.skipped.malformed++;
    return;
  }
  const parsed = AuditArtifact.safeParse(json);
  if (!parsed.success) {
    builder.skipped.foreign++;
    return;
  }
  builder.addArtifact(parsed.data, link);
}
