import { FileScanner, isCompose, isDockerfile, isJs, isShell, isWorkflow, LINE_DETECTORS, type Hit } from './detectors.ts';
import { jsScanAnywhere } from './js-pool.ts';
import { goScan, pythonScan, resolveReads, shellScan, type GrammarScan } from './grammar-reads.ts';
import { C_LIKE, isShellScript, maskCode, PHP, RUBY, type Lexicon } from './text-reads.ts';
import { yamlEnvHits } from './yaml-env.ts';

export type Language = 'js' | 'python' | 'shell' | 'go' | 'dockerfile' | 'compose' | 'workflow' | 'lines';

const ext = (path: string) => path.toLowerCase().slice(path.lastIndexOf('.'));
const BUNDLE_ONLY = /\.(vue|svelte|astro)$/i;

/** The language a file's reads are found in, from its name, else from its first line (a shebang). */
export function languageOf(path: string, firstLine = ''): Language | undefined {
  if (isJs(path)) return BUNDLE_ONLY.test(path) ? 'lines' : 'js';
  if (/\.pyi?$/i.test(path)) return 'python';
  if (path.toLowerCase().endsWith('.go')) return 'go';
  if (isShell(path)) return 'shell';
  if (isDockerfile(path)) return 'dockerfile';
  if (isCompose(path)) return 'compose';
  if (isWorkflow(path)) return 'workflow';
  if (LINE_DETECTORS.some((g) => g.files(path))) return 'lines';
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (!name.includes('.') || ['.sh', '.bash', '.command', '.run'].includes(ext(path))) {
    if (isShellScript(firstLine)) return 'shell';
    if (/^#!.*\bnode\b/.test(firstLine)) return 'js';
    if (/^#!.*\bpython[0-9.]*\b/.test(firstLine)) return 'python';
  }
  return undefined;
}

/** A cheap test that a file can hold any read at all, before it is parsed. */
export function mayRead(language: Language, text: string): boolean {
  switch (language) {
    case 'js':
      return text.includes('env');
    case 'python':
      return text.includes('environ') || text.includes('getenv');
    case 'go':
      return text.includes('Getenv') || text.includes('LookupEnv') || text.includes('ExpandEnv');
    case 'shell':
      return text.includes('$') || text.includes('-v');
    case 'compose':
      return text.includes('environment');
    case 'workflow':
      return text.includes('env');
    default:
      return true;
  }
}

function lexiconOf(path: string): Lexicon {
  if (/\.(rb|rake|gemspec)$/i.test(path) || /(^|\/)(Rakefile|Gemfile)$/.test(path)) return RUBY;
  if (/\.php$/i.test(path)) return PHP;
  return C_LIKE;
}

function lineReads(path: string, text: string): Hit[] {
  const scanner = new FileScanner(path);
  const hits: Hit[] = [];
  const masked = isDockerfile(path) ? text : maskCode(text, lexiconOf(path));
  masked.split('\n').forEach((line, i) => hits.push(...scanner.line(i + 1, line, true)));
  return hits;
}

const MAX_CONSTANTS_FILE = 256 * 1024;
const NAME_LITERAL = /['"`][A-Z_][A-Z0-9_]*['"`]/;

/**
 * A file read for the reads pass, kept until every changed file's constants are known: only what
 * it reads and declares, never its text or syntax tree, so a large change costs little memory.
 */
export interface ParsedFile {
  path: string;
  language: Language;
  /** JS/TS, Python, Go and shell: the reads and constants found by the parser (the tree itself is freed). */
  scan?: GrammarScan;
  /** Every other language (and JS that no grammar accepts): the reads, found line by line. */
  hits?: Hit[];
}

const SCANS: Partial<Record<Language, (text: string) => Promise<GrammarScan>>> = { python: pythonScan, go: goScan, shell: shellScan };
const NO_CONSTANTS: ReadonlyMap<string, string> = new Map();

/**
 * Reads a file for the reads pass: JS/TS parsed with Babel, Python, Go and shell with their
 * tree-sitter grammars, the rest line by line. Undefined when the file is in no language the
 * guard reads, or cannot read anything (no `env` in a JS file, no `$` in a script, ...).
 */
export async function prepare(path: string, text: string): Promise<ParsedFile | undefined> {
  const language = languageOf(path, text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')));
  if (!language) return undefined;
  // A module that reads nothing may still declare the names other files read (`export const KEY = 'X'`).
  const constantsOnly = (language === 'js' || language === 'go' || language === 'python') && !mayRead(language, text) && text.length <= MAX_CONSTANTS_FILE && NAME_LITERAL.test(text);
  if (!constantsOnly && !mayRead(language, text)) return undefined;
  const scan = SCANS[language];
  if (scan) return { path, language, scan: await scan(text) };
  if (language === 'js') {
    const js = await jsScanAnywhere(path, text);
    return js ? { path, language, scan: js } : { path, language, hits: lineReads(path, text) };
  }
  return { path, language, hits: language === 'compose' || language === 'workflow' ? yamlEnvHits(path, text) : lineReads(path, text) };
}

/** String constants declared by the parsed files, per language (`const K = 'X'`, `exports.K = 'X'`, `KEY = "X"`, `const Key = "X"`). */
export type ConstantsByLanguage = Partial<Record<Language, Map<string, string>>>;

/** The string constants of a set of parsed files, per language; a name given two values is dropped. */
export function constantsOf(files: readonly ParsedFile[]): ConstantsByLanguage {
  const out: ConstantsByLanguage = {};
  const clash = new Map<Language, Set<string>>();
  for (const file of files) {
    const own = file.scan?.constants;
    if (!own) continue;
    const all = (out[file.language] ??= new Map());
    const clashes = clash.get(file.language) ?? clash.set(file.language, new Set()).get(file.language)!;
    for (const [name, value] of own) {
      if (all.has(name) && all.get(name) !== value) clashes.add(name);
      all.set(name, value);
    }
  }
  for (const [language, names] of clash) for (const name of names) out[language]!.delete(name);
  return out;
}

/**
 * Every environment read a file makes, by language, with its constant references resolved through
 * `constants` (those of every changed file). A JS file's own constants were applied when it was
 * parsed, so its remaining references look only at `constants`.
 */
export function readsOf(file: ParsedFile, constants: ConstantsByLanguage = {}): Hit[] {
  if (!file.scan) return file.hits ?? [];
  const scan = file.language === 'js' ? { reads: file.scan.reads, constants: NO_CONSTANTS as Map<string, string> } : file.scan;
  return resolveReads(scan, constants[file.language]);
}
