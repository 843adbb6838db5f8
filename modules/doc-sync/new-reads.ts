import { pathMatcher } from './globs.ts';
import type { ChangeSource } from '../../src/change.ts';
import type { Hit } from './detectors.ts';
import { matchAll, type ChangedFile, type FileHit } from './guard.ts';
import { constantsOf, languageOf, prepare, readsOf, type ParsedFile } from './reads.ts';
import type { CompiledRule } from './rules.ts';

const GENERATED_MARK = /@generated|Code generated .* DO NOT EDIT|DO NOT EDIT\.? *(This file is )?(auto-?)?generated/i;
const MAX_FILE = 16 * 1024 * 1024;
/** Unchanged files read when the base tree cannot be searched (the GitHub API path): nearest first. */
const MAX_TREE_FILES = 500;
const CONCURRENCY = 8;

/** Generated files: a marker in the file's own first lines, or `linguist-generated` in `.gitattributes`. */
export function generatedMatcher(gitattributes: string | undefined): (path: string, text: string) => boolean {
  const globs: string[] = [];
  const unset: string[] = [];
  for (const raw of (gitattributes ?? '').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [pattern, ...attrs] = line.split(/\s+/);
    const glob = pattern!.includes('/') ? pattern!.replace(/^\//, '') : `**/${pattern}`;
    for (const attr of attrs) {
      if (attr === 'linguist-generated' || attr === 'linguist-generated=true') globs.push(glob, `${glob}/**`);
      else if (attr === '-linguist-generated' || attr === 'linguist-generated=false') unset.push(glob, `${glob}/**`);
    }
  }
  const marked = globs.length ? pathMatcher(globs) : () => false;
  const cleared = unset.length ? pathMatcher(unset) : () => false;
  return (path, text) => {
    if (marked(path) && !cleared(path)) return true;
    const head = text.slice(0, 2000).split('\n', 5).join('\n');
    return GENERATED_MARK.test(head);
  };
}

/** Finds the files at the base of the change that mention any of some names, when it can do so fast. */
export interface BaseSearch {
  filesMentioning(names: readonly string[]): Promise<string[] | undefined>;
}

export interface NewReadsOptions {
  change: ChangeSource;
  /** Changed files already being read while the diff streamed (see `HeadReader`). */
  heads?: HeadReader;
  /** The change's files, in diff order, with the guard's skip reasons (deleted, binary, excluded). */
  files: ChangedFile[];
  /** Whether a path is read at all (include and not exclude). */
  readable(path: string): boolean;
  search?: BaseSearch;
}

export interface NewReadsResult {
  hits: FileHit[];
  /** Paths skipped as generated from their own content. */
  generated: string[];
  /** Names the base tree read, so they are not new (for the record). */
  known: number;
  /** True when the base tree was too large to look through completely. */
  partial: boolean;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  }));
  return out;
}

/** One changed file read at the head: its reads, or that it is generated, or nothing to read. */
interface HeadFile {
  parsed?: ParsedFile;
  generated?: boolean;
}

async function generatedFor(change: ChangeSource): Promise<(path: string, text: string) => boolean> {
  const headFiles = await change.listHeadFiles();
  return generatedMatcher(headFiles.includes('.gitattributes') ? await change.readHead('.gitattributes').catch(() => undefined) : undefined);
}

async function readHeadFile(change: ChangeSource, path: string, isGenerated: (path: string, text: string) => boolean): Promise<HeadFile> {
  const text = await change.readHead(path);
  if (text === undefined || text.length > MAX_FILE || text.includes('\0')) return {};
  if (isGenerated(path, text)) return { generated: true };
  return { parsed: await prepare(path, text) };
}

/**
 * Reads and parses changed files at the head as the diff names them, at most 8 at a time, so
 * parsing overlaps git producing the rest of the diff. Only each file's reads are kept (its text
 * and syntax tree are dropped once parsed); a failure is raised by `newReads`, not here.
 */
export class HeadReader {
  private readonly started = new Map<string, Promise<HeadFile>>();
  private readonly waiting: Array<() => void> = [];
  private active = 0;
  private generated: Promise<(path: string, text: string) => boolean> | undefined;

  constructor(private readonly change: ChangeSource) {}

  /** Starts reading a changed file the guard did not skip (call in diff order). */
  add(file: ChangedFile): void {
    if (file.skipped !== undefined || this.started.has(file.path)) return;
    const task = this.run(file.path);
    task.catch(() => undefined);
    this.started.set(file.path, task);
  }

  /** The file read by `add`, or undefined when it was not started. */
  take(path: string): Promise<HeadFile> | undefined {
    const task = this.started.get(path);
    this.started.delete(path);
    return task;
  }

  private async run(path: string): Promise<HeadFile> {
    while (this.active >= CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await readHeadFile(this.change, path, await (this.generated ??= generatedFor(this.change)));
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Every path the change touches, both sides of a rename, from the diff itself. */
export function touchedPaths(files: readonly ChangedFile[]): string[] {
  return [...new Set(files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])))];
}

/** The files the change leaves as they were, those sharing the longest folder with a changed file first. */
function unchangedNearest(headFiles: readonly string[], touched: readonly string[]): string[] {
  const same = new Set(touched);
  const folders = new Set<string>();
  for (const path of touched) {
    const parts = path.split('/').slice(0, -1);
    for (let i = 0; i <= parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const depth = (path: string) => {
    const parts = path.split('/').slice(0, -1);
    for (let i = parts.length; i >= 0; i--) if (folders.has(parts.slice(0, i).join('/'))) return i;
    return 0;
  };
  return headFiles.filter((p) => !same.has(p)).map((p) => [p, depth(p)] as const).sort((a, b) => b[1] - a[1]).map(([p]) => p);
}

/** Whether a path could be code at all, from its name (extension-less files may be scripts). */
const prepareable = (path: string) => languageOf(path, '#!/bin/sh') !== undefined;

const mentionsAny = (text: string, names: ReadonlySet<string>) => [...names].some((n) => text.includes(n));

/**
 * The environment reads a change adds: names the head reads in a changed file that the base reads
 * nowhere. Whole files are read at both sides, so a read that was reformatted, moved, copied or
 * re-emitted by a rebuilt bundle is not new.
 */
export async function newReads(options: NewReadsOptions): Promise<NewReadsResult> {
  const { change, files } = options;
  const generated: string[] = [];
  const headFiles = await change.listHeadFiles();
  let isGenerated: Promise<(path: string, text: string) => boolean> | undefined;

  const candidates = files.filter((f) => f.skipped === undefined);
  const parsed = (await mapLimit(candidates, CONCURRENCY, async (file) => {
    const head = await (options.heads?.take(file.path) ?? readHeadFile(change, file.path, await (isGenerated ??= generatedFor(change))));
    if (head.generated) {
      file.skipped = 'generated file';
      generated.push(file.path);
    }
    return head.parsed;
  })).filter((f): f is ParsedFile => f !== undefined);

  const constants = constantsOf(parsed);
  const byName = new Map<string, FileHit>();
  for (const file of parsed) {
    for (const hit of readsOf(file, constants).sort((a, b) => a.line - b.line)) {
      const first = byName.get(hit.name);
      if (first) first.others++;
      else byName.set(hit.name, { ...hit, file: file.path, others: 0 });
    }
  }
  const result: NewReadsResult = { hits: [], generated, known: 0, partial: false };
  if (byName.size === 0) return result;

  const open = new Set(byName.keys());
  const settle = (reads: readonly Hit[]) => {
    for (const read of reads) if (open.delete(read.name)) result.known++;
  };
  const readBase = async (paths: readonly string[], at: (path: string) => Promise<string | undefined>) => {
    const found = await mapLimit(paths, CONCURRENCY, async (path) => {
      if (open.size === 0 || !options.readable(path)) return [];
      const text = await at(path).catch(() => undefined);
      if (text === undefined || text.length > MAX_FILE || !mentionsAny(text, open)) return [];
      const file = await prepare(path, text);
      return file ? readsOf(file, constants) : [];
    });
    for (const reads of found) settle(reads);
  };

  const searched = await options.search?.filesMentioning([...open]).catch(() => undefined);
  if (searched) {
    await readBase(searched, (p) => change.readBase(p));
  } else {
    // No fast search: the base versions of the changed files, then the files the change leaves as
    // they were, nearest to the changed files first.
    const touched = touchedPaths(files);
    await readBase(touched, (p) => change.readBase(p));
    if (open.size > 0) {
      const rest = unchangedNearest(headFiles, touched).filter((p) => options.readable(p) && prepareable(p));
      if (rest.length > MAX_TREE_FILES) result.partial = true;
      await readBase(rest.slice(0, MAX_TREE_FILES), (p) => change.readHead(p));
    }
  }
  result.hits = [...byName.values()].filter((hit) => open.has(hit.name));
  return result;
}

/**
 * The custom rules' findings that are new in the same sense: a name a rule matches at the head is
 * dropped when the same rule matches it anywhere at the base, in the base versions of the changed
 * files or in the files the change leaves as they were.
 */
export async function newRuleHits(hits: readonly FileHit[], rules: readonly CompiledRule[], change: ChangeSource, files: readonly ChangedFile[], readable: (path: string) => boolean): Promise<FileHit[]> {
  if (hits.length === 0) return [];
  const open = new Set(hits.map((h) => `${h.detector}\0${h.name}`));
  const names = new Set(hits.map((h) => h.name));
  const byId = new Map(rules.map((r) => [`rule.${r.rule.id}`, r]));
  const wanted = [...byId.values()].filter((r) => hits.some((h) => h.detector === `rule.${r.rule.id}`));
  const applies = (path: string) => readable(path) && wanted.some((r) => pathMatcher(r.rule.paths)(path));
  const learn = async (paths: readonly string[], at: (path: string) => Promise<string | undefined>) => {
    await mapLimit(paths.filter(applies), CONCURRENCY, async (path) => {
      if (open.size === 0) return;
      const text = await at(path).catch(() => undefined);
      if (text === undefined || text.length > MAX_FILE || !mentionsAny(text, names)) return;
      for (const rule of wanted) {
        if (!pathMatcher(rule.rule.paths)(path)) continue;
        for (const line of text.split('\n')) for (const name of matchAll(rule, line)) open.delete(`rule.${rule.rule.id}\0${name}`);
      }
    });
  };
  const touched = touchedPaths(files);
  await learn(touched, (p) => change.readBase(p));
  if (open.size > 0) {
    const same = new Set(touched);
    await learn((await change.listHeadFiles()).filter((p) => !same.has(p)).slice(0, MAX_TREE_FILES), (p) => change.readHead(p));
  }
  return hits.filter((h) => open.has(`${h.detector}\0${h.name}`));
}
