import type { Hit } from './detectors.ts';
import { DiffParser, forEachLine, type DiffEvent } from './diff.ts';
import type { CompiledRule } from './rules.ts';
import type { DocSyncConfig } from './schema.ts';
import { pathMatcher } from './globs.ts';

export interface FileHit extends Hit {
  file: string;
  /** How many more times the same name was found after this first place. */
  others: number;
}

export interface HunkRecord {
  file: string;
  header: string;
  /** New-side line number and text of each line kept, marked when added. */
  lines: Array<{ line: number; text: string; added: boolean }>;
  flagged: boolean;
  code: boolean;
  chars: number;
}

export interface ChangedFile {
  path: string;
  /** The path before a rename. */
  oldPath?: string;
  status: string;
  skipped?: string;
}

export interface GuardResult {
  /** One hit per name: its first place in diff order, with a count of the others. */
  hits: FileHit[];
  files: ChangedFile[];
  /** Runs of added lines per file, [first, last] (kept only when hunks are kept for the AI). */
  added: Map<string, Array<[number, number]>>;
  hunks: HunkRecord[];
  /** Files with hunks that did not fit in memory for the AI. */
  unkept: Set<string>;
  addedLines: number;
}

export interface GuardOptions {
  config: DocSyncConfig;
  rules: readonly CompiledRule[];
  /** Reads a file at the head of the change (kept for callers; environment reads are found on whole files by new-reads.ts). */
  readHead(path: string): Promise<string | undefined>;
  /** Keep hunk text for the AI, up to this many characters (0: keep none). */
  keepChars: number;
  /** Called with each changed file once the diff has gone past it (its skip reason is final). */
  onFile?(file: ChangedFile): void;
}

const GENERATED_MARK = /@generated|Code generated .* DO NOT EDIT|DO NOT EDIT\.? *(This file is )?(auto-?)?generated/i;
const CODE_EXT = /\.(c|cc|cpp|cs|go|java|js|jsx|kt|kts|mjs|cjs|mts|cts|php|py|rb|rs|scala|sh|bash|swift|ts|tsx|vue|svelte)$/i;

/**
 * A copy of a string that does not share memory with the chunk it was cut from: V8 keeps a whole
 * chunk of the diff alive for as long as any slice of it lives.
 */
const detach = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/**
 * The diff pass: reads the added lines of the change once, in order, synchronously per line; lists
 * the changed files with their skip reasons, keeps the first place of every name a custom rule
 * fired on, and keeps hunks for the AI. Environment reads are found on whole files afterwards
 * (new-reads.ts). It needs no network; its memory grows with the number of distinct names and
 * files, not with the diff.
 */
export class Guard {
  private readonly include: (path: string) => boolean;
  private readonly exclude: (path: string) => boolean;
  private readonly byName = new Map<string, FileHit>();
  private readonly result: GuardResult = { hits: [], files: [], added: new Map(), hunks: [], unkept: new Set(), addedLines: 0 };
  private keptChars = 0;

  private path: string | undefined;
  private readable = false;
  private rules: CompiledRule[] = [];
  private hunk: HunkRecord | undefined;
  private generated = false;
  private fileHits: FileHit[] = [];

  constructor(private readonly options: GuardOptions) {
    this.include = pathMatcher(options.config.include);
    this.exclude = pathMatcher(options.config.exclude);
  }

  event(event: DiffEvent): void {
    if (event.type === 'file') this.file(event);
    else if (event.type === 'hunk') {
      if (!this.readable) return;
      this.closeHunk();
      this.hunk = { file: detach(event.path), header: detach(event.header), lines: [], flagged: false, code: CODE_EXT.test(event.path), chars: 0 };
    } else if (this.readable) this.line(event.path, event.kind === 'add', event.line, event.text);
  }

  async finish(): Promise<GuardResult> {
    this.closeFile();
    this.result.hits = [...this.byName.values()];
    return this.result;
  }

  private file(event: Extract<DiffEvent, { type: 'file' }>): void {
    this.closeFile();
    const entry: ChangedFile = { path: detach(event.path), status: event.status };
    if (event.oldPath !== undefined && event.oldPath !== event.path) entry.oldPath = detach(event.oldPath);
    this.result.files.push(entry);
    if (event.status === 'deleted') entry.skipped = 'deleted';
    else if (event.binary) entry.skipped = 'binary';
    else if (!this.include(event.path)) entry.skipped = 'not in include';
    else if (this.exclude(event.path)) entry.skipped = 'excluded';
    this.path = event.path;
    this.readable = entry.skipped === undefined;
    if (!this.readable) return;
    this.rules = this.options.rules.filter((r) => pathMatcher(r.rule.paths)(event.path));
  }

  private line(path: string, added: boolean, line: number, text: string): void {
    const hunk = this.hunk;
    if (line <= 5 && added && GENERATED_MARK.test(text)) this.generated = true;
    if (hunk && this.options.keepChars > 0) {
      hunk.lines.push({ line, text: detach(text), added });
      hunk.chars += text.length + 10;
    }
    const before = this.fileHits.length;
    if (added) {
      this.result.addedLines++;
      if (this.options.keepChars > 0) {
        const runs = this.result.added.get(path) ?? [];
        const last = runs[runs.length - 1];
        if (last && last[1] === line - 1) last[1] = line;
        else runs.push([line, line]);
        this.result.added.set(path, runs);
      }
      for (const rule of this.rules) {
        for (const name of matchAll(rule, text)) this.fileHits.push({ name, line, detector: `rule.${rule.rule.id}`, kind: rule.rule.kind, file: path, others: 0 });
      }
    }
    if (hunk && this.fileHits.length > before) hunk.flagged = true;
  }

  private closeHunk(): void {
    const hunk = this.hunk;
    this.hunk = undefined;
    if (!hunk || !hunk.lines.some((l) => l.added)) return;
    if (this.keptChars + hunk.chars <= this.options.keepChars) {
      this.result.hunks.push(hunk);
      this.keptChars += hunk.chars;
    } else if (this.options.keepChars > 0) {
      this.result.unkept.add(hunk.file);
    }
  }

  private closeFile(): void {
    this.closeHunk();
    const path = this.path;
    if (path !== undefined && this.readable) {
      if (this.generated) {
        const entry = this.result.files.find((f) => f.path === path);
        if (entry) entry.skipped = 'generated file';
        this.result.hunks = this.result.hunks.filter((h) => h.file !== path);
      } else {
        for (const hit of this.fileHits) this.record(hit);
      }
    }
    const last = this.result.files.at(-1);
    if (path !== undefined && last) this.options.onFile?.(last);
    this.path = undefined;
    this.readable = false;
    this.generated = false;
    this.fileHits = [];
  }

  private record(hit: FileHit): void {
    const seen = this.byName.get(hit.name);
    if (seen) seen.others++;
    else this.byName.set(detach(hit.name), { ...hit, name: detach(hit.name), file: detach(hit.file) });
  }
}

/** Streams a diff (text chunks) through the parser and the guard. */
export async function runGuard(chunks: AsyncIterable<string | Buffer>, options: GuardOptions): Promise<GuardResult> {
  const guard = new Guard(options);
  const parser = new DiffParser((e) => guard.event(e));
  await forEachLine(chunks, (line) => parser.line(line));
  parser.end();
  return guard.finish();
}

export function isAddedLine(result: GuardResult, file: string, line: number): boolean {
  return (result.added.get(file) ?? []).some(([first, last]) => line >= first && line <= last);
}

/** Marks the kept hunks that hold a finding, so the AI sees them first. */
export function flagHunks(result: GuardResult, hits: readonly FileHit[]): void {
  for (const hit of hits) {
    for (const h of result.hunks) if (h.file === hit.file && h.lines.some((l) => l.added && l.line === hit.line)) h.flagged = true;
  }
}

/** The names a custom rule matches in a text, in order (at most about 100). */
export function matchAll(compiled: CompiledRule, text: string): string[] {
  const names: string[] = [];
  const matcher = compiled.regex.matcher(text);
  while (matcher.find()) {
    const name = typeof compiled.group === 'string' ? matcher.group(compiled.group) : matcher.group(compiled.group);
    if (name) names.push(name);
    if (names.length > 100) break;
  }
  return names;
}
