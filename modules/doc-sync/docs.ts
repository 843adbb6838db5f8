import { pathMatcher } from './globs.ts';

const MAX_DOC_FILES = 2000;
const MAX_DOC_BYTES = 4 * 1024 * 1024;

/** The documentation at the head of the change, searchable by name. */
export class DocIndex {
  private readonly words = new Set<string>();
  private readonly texts: string[] = [];
  readonly files: string[] = [];
  readonly outline: string[] = [];

  add(file: string, text: string): void {
    this.files.push(file);
    this.texts.push(text);
    for (const word of text.match(/[A-Za-z0-9_]+/g) ?? []) this.words.add(word);
    for (const line of text.split('\n')) {
      if (/^#{1,4}\s/.test(line) && this.outline.length < 400) this.outline.push(`${file}: ${line.trim()}`);
    }
  }

  /** True when the name appears in any doc as a whole word (or, for names with punctuation, as a whole token). */
  mentions(name: string): boolean {
    if (/^[A-Za-z0-9_]+$/.test(name)) return this.words.has(name);
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const bounded = new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`);
    return this.texts.some((text) => text.includes(name) && bounded.test(text));
  }
}

export interface DocSource {
  listFiles(): Promise<string[]>;
  read(path: string): Promise<string | undefined>;
}

export async function loadDocs(source: DocSource, globs: readonly string[]): Promise<DocIndex> {
  const isDoc = pathMatcher(globs);
  const index = new DocIndex();
  const files = (await source.listFiles()).filter((f) => isDoc(f)).sort().slice(0, MAX_DOC_FILES);
  for (const file of files) {
    const text = await source.read(file);
    if (text !== undefined && text.length <= MAX_DOC_BYTES) index.add(file, text);
  }
  return index;
}

/** Allowlist entries: exact names, or with "*" for any run of characters. */
export function allowMatcher(patterns: readonly string[]): (name: string) => boolean {
  const regexes = patterns.map((p) => new RegExp(`^${p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (name) => regexes.some((r) => r.test(name));
}
