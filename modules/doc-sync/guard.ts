import picomatch from 'picomatch';
import { FileScanner, isCompose, isShell, isWorkflow, type Hit } from './detectors.ts';
import type { DiffEvent } from './diff.ts';
import { matchAll, type CompiledRule } from './rules.ts';
import type { DocSyncConfig } from './schema.ts';
import { yamlEnvHits } from './yaml-env.ts';

export interface FileHit extends Hit {
  file: string;
}

export interface HunkRecord {
  file: string;
  header: string;
  /** New-side line number and text of each line kept, marked when added. */
  lines: Array<{ line: number; text: string; added: boolean }>;
  code: boolean;
  chars: number;
}

export interface ChangedFile {
  path: string;
  status: string;
  skipped?: string;
}

export interface GuardResult {
  hits: FileHit[];
  files: ChangedFile[];
  /** Runs of added lines per file, [first, last], to tell real lines from invented ones. */
  added: Map<string, Array<[number, number]>>;
  hunks: HunkRecord[];
  /** Files whose hunks did not fit in memory for the AI. */
  unkept: Set<string>;
  addedLines: number;
}

export interface GuardOptions {
  config: DocSyncConfig;
  rules: readonly CompiledRule[];
  /** Reads a file at the head of the change (for YAML and shell files, which need the whole file). */
  readHead(path: string): Promise<string | undefined>;
  /** Keep hunk text for the AI, up to this many characters (0: keep none). */
  keepChars: number;
}

const GENERATED_MARK = /@generated|Code generated .* DO NOT EDIT|DO NOT EDIT\.? *(This file is )?(auto-?)?generated/i;
const CODE_EXT = /\.(c|cc|cpp|cs|go|java|js|jsx|kt|kts|mjs|cjs|mts|cts|php|py|rb|rs|scala|sh|bash|swift|ts|tsx|vue|svelte)$/i;
const MAX_WHOLE_FILE = 2 * 1024 * 1024;

/**
 * The deterministic guard: reads the added lines of the change once, in order, and returns every
 * name a detector or custom rule fired on. Needs no network; memory stays bounded by the size of a
 * file's hunks, not of the diff.
 */
export async function runGuard(events: AsyncIterable<DiffEvent>, options: GuardOptions): Promise<GuardResult> {
  const { config } = options;
  const include = picomatch(config.include, { dot: true });
  const exclude = picomatch(config.exclude, { dot: true });
  const result: GuardResult = { hits: [], files: [], added: new Map(), hunks: [], unkept: new Set(), addedLines: 0 };
  let keptChars = 0;

  let path: string | undefined;
  let scanner: FileScanner | undefined;
  let rules: CompiledRule[] = [];
  let wholeFile = false;
  let fileLines: Set<number> | undefined;
  let hunk: HunkRecord | undefined;
  let readable = false;
  let firstLines: string[] = [];
  let fileHits: FileHit[] = [];

  const closeHunk = () => {
    if (!hunk) return;
    if (hunk.lines.some((l) => l.added)) {
      if (keptChars + hunk.chars <= options.keepChars) {
        result.hunks.push(hunk);
        keptChars += hunk.chars;
      } else if (options.keepChars > 0) {
        result.unkept.add(hunk.file);
      }
    }
    hunk = undefined;
  };

  const closeFile = async () => {
    closeHunk();
    if (path !== undefined && readable) {
      const generated = firstLines.some((l) => GENERATED_MARK.test(l));
      if (generated) {
        const entry = result.files.find((f) => f.path === path);
        if (entry) entry.skipped = 'generated file';
        result.hunks = result.hunks.filter((h) => h.file !== path);
      } else {
        if (scanner) {
          if (isShell(path)) {
            const text = await options.readHead(path);
            if (text !== undefined && text.length <= MAX_WHOLE_FILE) scanner.learnAssignments(text);
          }
          fileHits.push(...scanner.finish().map((h) => ({ ...h, file: path! })));
        }
        if (wholeFile && fileLines && fileLines.size > 0) {
          const text = await options.readHead(path);
          if (text !== undefined && text.length <= MAX_WHOLE_FILE) {
            for (const hit of yamlEnvHits(path, text)) if (fileLines.has(hit.line)) fileHits.push({ ...hit, file: path });
          }
        }
        result.hits.push(...fileHits);
      }
    }
    path = undefined;
    scanner = undefined;
    fileLines = undefined;
    fileHits = [];
    firstLines = [];
    readable = false;
  };

  for await (const event of events) {
    if (event.type === 'file') {
      await closeFile();
      path = event.path;
      const entry: ChangedFile = { path: event.path, status: event.status };
      result.files.push(entry);
      if (event.status === 'deleted') entry.skipped = 'deleted';
      else if (event.binary) entry.skipped = 'binary';
      else if (!include(event.path)) entry.skipped = 'not in include';
      else if (exclude(event.path)) entry.skipped = 'excluded';
      readable = entry.skipped === undefined;
      if (!readable) continue;
      scanner = config.builtin_detectors ? new FileScanner(event.path) : undefined;
      if (scanner && !scanner.active) scanner = undefined;
      rules = options.rules.filter((r) => picomatch.isMatch(event.path, r.rule.paths, { dot: true }));
      wholeFile = config.builtin_detectors && (isCompose(event.path) || isWorkflow(event.path));
      fileLines = wholeFile ? new Set() : undefined;
    } else if (event.type === 'hunk') {
      if (!readable) continue;
      closeHunk();
      hunk = { file: event.path, header: event.header, lines: [], code: CODE_EXT.test(event.path), chars: 0 };
    } else if (event.type === 'line') {
      if (!readable) continue;
      const added = event.kind === 'add';
      if (event.line <= 5 && added) firstLines.push(event.text);
      if (hunk && options.keepChars > 0) {
        hunk.lines.push({ line: event.line, text: event.text, added });
        hunk.chars += event.text.length + 8;
      }
      if (added) {
        result.addedLines++;
        const runs = result.added.get(event.path) ?? [];
        const last = runs[runs.length - 1];
        if (last && last[1] === event.line - 1) last[1] = event.line;
        else runs.push([event.line, event.line]);
        result.added.set(event.path, runs);
        fileLines?.add(event.line);
      }
      if (scanner) for (const hit of scanner.line(event.line, event.text, added)) fileHits.push({ ...hit, file: event.path });
      if (added) {
        for (const rule of rules) {
          for (const name of matchAll(rule, event.text)) fileHits.push({ name, line: event.line, detector: `rule.${rule.rule.id}`, kind: rule.rule.kind, file: event.path });
        }
      }
    } else {
      await closeFile();
    }
  }
  await closeFile();
  return result;
}

export function isAddedLine(result: GuardResult, file: string, line: number): boolean {
  return (result.added.get(file) ?? []).some(([first, last]) => line >= first && line <= last);
}
