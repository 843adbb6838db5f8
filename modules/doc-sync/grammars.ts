import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Language as TsLanguage, Node, Parser as TsParser, Tree } from '@vscode/tree-sitter-wasm';

/** The tree-sitter grammars the guard parses with (prebuilt WebAssembly, no compile step). */
export type Grammar = 'python' | 'bash' | 'go';

let runtime: Promise<typeof import('@vscode/tree-sitter-wasm')> | undefined;
const parsers = new Map<Grammar, Promise<TsParser>>();

/**
 * The folder holding `tree-sitter.wasm` and the grammars: next to a self-contained bundle when
 * one was built with them (`scripts/build.mjs --action` copies them to `tree-sitter/`), else the
 * installed `@vscode/tree-sitter-wasm` package.
 */
function wasmDir(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'tree-sitter');
  if (existsSync(join(beside, 'tree-sitter.wasm'))) return beside;
  return dirname(createRequire(import.meta.url).resolve('@vscode/tree-sitter-wasm/wasm/tree-sitter.wasm'));
}

/**
 * A parser for one grammar, loaded once per process on first use (about 20-60 ms for the runtime,
 * a few ms per grammar). Parsers are reused: `parse` is synchronous, so one parser serves every
 * file of its language.
 * @throws when the package's WebAssembly files are missing (a broken install).
 */
export function parserFor(grammar: Grammar): Promise<TsParser> {
  let parser = parsers.get(grammar);
  if (!parser) {
    parser = (async () => {
      const dir = wasmDir();
      runtime ??= import('@vscode/tree-sitter-wasm').then(async (mod) => {
        const ts = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
        await ts.Parser.init({ locateFile: (file: string) => join(dir, file) });
        return ts;
      });
      const ts = await runtime;
      const language: TsLanguage = await ts.Language.load(readFileSync(join(dir, `tree-sitter-${grammar}.wasm`)));
      const p = new ts.Parser();
      p.setLanguage(language);
      return p;
    })();
    parsers.set(grammar, parser);
    // A failed load is retried by the next caller rather than cached.
    parser.catch(() => parsers.delete(grammar));
  }
  return parser;
}

/**
 * Parses `text` and hands the tree's root to `use`, then frees the tree (trees live in the
 * WebAssembly heap, not the JS one). Returns what `use` returns, or undefined when tree-sitter
 * gives up on the input.
 */
export async function withTree<T>(grammar: Grammar, text: string, use: (root: Node) => T): Promise<T | undefined> {
  const parser = await parserFor(grammar);
  let tree: Tree | null = null;
  try {
    tree = parser.parse(text);
    return tree ? use(tree.rootNode) : undefined;
  } finally {
    tree?.delete();
  }
}

/** Every node of a tree in document order, depth first, with a cursor (no node objects made for skipped subtrees). */
export function visit(root: Node, onNode: (node: Node) => void | 'skip', types: ReadonlySet<string>): void {
  const cursor = root.walk();
  try {
    let descend = true;
    for (;;) {
      if (descend && types.has(cursor.nodeType)) {
        if (onNode(cursor.currentNode) === 'skip') descend = false;
      }
      if (descend && cursor.gotoFirstChild()) continue;
      descend = true;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return;
      }
    }
  } finally {
    cursor.delete();
  }
}
