import { FileScanner, isCompose, isDockerfile, isJs, isShell, isWorkflow, LINE_DETECTORS, type Hit } from './detectors.ts';
import { jsConstants, jsLearn, jsReads, parseJs, type JsModule } from './js-reads.ts';
import { C_LIKE, goReads, isShellScript, maskCode, PHP, pythonReads, RUBY, shellReads, type Lexicon } from './text-reads.ts';
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
      return text.includes('os.');
    case 'shell':
      return text.includes('$');
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

/** A parsed file, kept between the constants pass and the reads pass. */
export interface ParsedFile {
  path: string;
  language: Language;
  text: string;
  js?: JsModule;
}

export function prepare(path: string, text: string): ParsedFile | undefined {
  const language = languageOf(path, text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')));
  if (!language) return undefined;
  // A JS module that reads nothing may still declare the names other files read (`export const KEY = 'X'`).
  const constantsOnly = language === 'js' && !mayRead(language, text) && text.length <= MAX_CONSTANTS_FILE && NAME_LITERAL.test(text);
  if (!constantsOnly && !mayRead(language, text)) return undefined;
  if (language !== 'js') return { path, language, text };
  const ast = parseJs(path, text);
  return { path, language, text, js: ast ? jsLearn(ast) : undefined };
}

/** String constants (`const K = 'X'`, `exports.K = 'X'`) declared by parsed JS files. */
export function constantsOf(files: readonly ParsedFile[]): Map<string, string> {
  const all = new Map<string, string>();
  const clash = new Set<string>();
  for (const file of files) {
    if (!file.js) continue;
    for (const [name, value] of jsConstants(file.js)) {
      if (all.has(name) && all.get(name) !== value) clash.add(name);
      all.set(name, value);
    }
  }
  for (const name of clash) all.delete(name);
  return all;
}

/** Every environment read a file makes, by language. */
export function readsOf(file: ParsedFile, constants: ReadonlyMap<string, string> = new Map()): Hit[] {
  const { path, text } = file;
  switch (file.language) {
    case 'js':
      return file.js ? jsReads(file.js, constants) : lineReads(path, text);
    case 'python':
      return pythonReads(text);
    case 'go':
      return goReads(text);
    case 'shell':
      return shellReads(text);
    case 'compose':
    case 'workflow':
      return yamlEnvHits(path, text);
    default:
      return lineReads(path, text);
  }
}
