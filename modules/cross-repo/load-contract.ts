import { posix } from 'node:path';
import { $RefParser } from '@apidevtools/json-schema-ref-parser';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a version of a contract cannot be compared, and where. */
export interface ContractError {
  error: string;
  line: number;
}

/** A contract version, its $refs resolved, with a way back from objects and pointers to lines. */
export interface Contract {
  kind: 'openapi' | 'json-schema';
  /** The document with every $ref replaced by its target (cycles stay cycles). */
  value: Json;
  /** The line of a path in this file (or in a file it references): the deepest key of the path that exists. */
  lineOf(path: readonly string[], file?: string): number;
  /** Where an object of the resolved document is written: its path, and its file when it is another file of the repository. */
  locate(node: object): { path: string[]; file?: string } | undefined;
  /** `#/components/schemas/Name` for a schema that came from that component. */
  refName(node: object): string | undefined;
}

/** Reads another file of the repository, by its path from the repository root. */
export type ReadFile = (path: string) => Promise<string | undefined>;

const CONFLICT = /^(<{7}|>{7})(?: |$)|^={7}$/m;

/** Parses one version of a contract; every reason it cannot be compared is an error with a line. */
export async function loadContract(text: string, file = 'contract.yaml', readFile?: ReadFile): Promise<Contract | ContractError> {
  const lines = text.split(/\r?\n/);
  const conflict = lines.findIndex((l) => /^<{7}(?: |$)/.test(l));
  if (conflict >= 0 || lines.some((l) => /^>{7}(?: |$)/.test(l))) {
    const at = conflict >= 0 ? conflict : lines.findIndex((l) => CONFLICT.test(l));
    return { error: 'unresolved merge conflict marker', line: at + 1 };
  }
  // JSON parses fast natively; the position-keeping YAML parse is then needed only to place findings.
  let raw: Json | undefined;
  if (/^\s*[{[]/.test(text)) {
    try {
      raw = JSON.parse(text) as Json;
    } catch {
      raw = undefined;
    }
  }
  let parsed: { doc: Document.Parsed; counter: LineCounter } | undefined;
  const positions = () => {
    if (!parsed) {
      const counter = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter: counter, uniqueKeys: false, prettyErrors: false }), counter };
    }
    return parsed;
  };
  if (raw === undefined) {
    const { doc, counter } = positions();
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      return { error: `not valid YAML or JSON: ${first.message.split('\n')[0]}`, line: counter.linePos(first.pos[0]).line };
    }
    try {
      raw = doc.toJS({ maxAliasCount: 64 }) as Json;
    } catch (err) {
      return { error: `not valid YAML or JSON: ${(err as Error).message}`, line: 1 };
    }
  }
  const keyLine = (key: string) => {
    const { doc, counter } = positions();
    const node = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    return node && isScalar(node.key) && node.key.range ? counter.linePos(node.key.range[0]).line : 1;
  };
  if (!isObj(raw)) return { error: 'not an OpenAPI document or JSON Schema: the top level is not an object', line: 1 };
  let kind: Contract['kind'] = 'json-schema';
  if ('swagger' in raw) {
    return { error: `Swagger ${String(raw.swagger)} is not compared: convert the file to OpenAPI 3 (for example with swagger2openapi) so that its changes can be checked`, line: keyLine('swagger') };
  }
  if ('openapi' in raw) {
    if (typeof raw.openapi !== 'string' || !/^3\.[012]\.\d+$/.test(raw.openapi)) {
      return { error: `OpenAPI version ${JSON.stringify(raw.openapi)} is not one the diff knows (3.0.x, 3.1.x, 3.2.x)`, line: keyLine('openapi') };
    }
    if (!isObj(raw.paths) && raw.paths !== undefined && raw.paths !== null) return { error: '`paths` is not an object', line: keyLine('paths') };
    kind = 'openapi';
  }

  const where = new WeakMap<object, string[]>();
  const walk = (v: Json, path: string[]) => {
    if (typeof v !== 'object' || v === null || where.has(v)) return;
    where.set(v, path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
    else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(raw, []);

  const root = posix.join('/', file);
  const repoPath = (url: string) => decodeURIComponent(new URL(url, 'file:///').pathname).replace(/^\//, '');
  const texts = new Map<string, string>();
  const parser = new $RefParser();
  try {
    await parser.dereference(root, raw as object, {
      resolve: {
        http: false,
        file: false,
        repo: {
          order: 1,
          canRead: true,
          async read(info: { url: string }) {
            const path = repoPath(info.url);
            const content = readFile ? await readFile(path) : undefined;
            if (content === undefined) throw new Error(`${path} is not in the repository at this commit`);
            texts.set(path, content);
            return content;
          },
        },
      },
      // Long chains of references between components are normal in large APIs; cycles stay cycles.
      dereference: { circular: true, maxDepth: 20_000 },
    } as never);
  } catch (err) {
    const full = (err as Error).message.split('\n')[0] ?? 'unknown error';
    const message = full.length > 300 ? `${full.slice(0, 300)}...` : full;
    const ref = /"?(#[^"\s]*|[\w./-]+\.(?:ya?ml|json)[^"\s]*)"?/.exec(message)?.[1];
    return { error: `a $ref cannot be resolved: ${message}`, line: ref ? lineOfText(lines, ref) : 1 };
  }

  // Objects that come from other files: their file and their path there, for lines in that file.
  const elsewhere = new WeakMap<object, { path: string[]; file: string }>();
  const own = repoPath(root);
  for (const [url, value] of Object.entries(parser.$refs.values() as Record<string, Json>)) {
    const other = repoPath(url);
    if (other === own) continue;
    const visit = (v: Json, path: string[]) => {
      if (typeof v !== 'object' || v === null || where.has(v) || elsewhere.has(v)) return;
      elsewhere.set(v, { path, file: other });
      if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...path, String(i)]));
      else for (const [k, x] of Object.entries(v)) visit(x, [...path, k]);
    };
    visit(value, []);
  }
  const otherLines = new Map<string, (path: readonly string[]) => number>();

  const names = new WeakMap<object, string>();
  const components = isObj(raw) && isObj(raw.components) ? raw.components : undefined;
  for (const [section, entries] of Object.entries(components ?? {})) {
    if (!isObj(entries)) continue;
    for (const [name, value] of Object.entries(entries)) if (typeof value === 'object' && value !== null && !names.has(value)) names.set(value, `#/components/${section}/${name}`);
  }
  for (const defs of ['$defs', 'definitions']) {
    const entries = isObj(raw) ? raw[defs] : undefined;
    if (isObj(entries)) for (const [name, value] of Object.entries(entries)) if (typeof value === 'object' && value !== null) names.set(value, `#/${defs}/${name}`);
  }

  return {
    kind,
    value: raw,
    lineOf(path, other) {
      if (other !== undefined && other !== own) {
        let find = otherLines.get(other);
        if (!find) {
          const text = texts.get(other);
          const counter = new LineCounter();
          const doc = text === undefined ? undefined : parseDocument(text, { lineCounter: counter, uniqueKeys: false });
          find = (p) => (doc ? lineInDocument(doc, counter, p) : 1);
          otherLines.set(other, find);
        }
        return find(path);
      }
      const { doc, counter } = positions();
      return lineInDocument(doc, counter, path);
    },
    locate: (node) => {
      const mine = where.get(node);
      return mine ? { path: mine } : elsewhere.get(node);
    },
    refName: (node) => names.get(node),
  };
}

/** The line of the deepest key of a path that exists in a parsed document. */
function lineInDocument(doc: Document.Parsed, counter: LineCounter, path: readonly string[]): number {
  for (let n = path.length; n > 0; n--) {
    const parent = doc.getIn(path.slice(0, n - 1), true) as Node | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === path[n - 1]);
      if (pair && isScalar(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
    } else if (isSeq(parent)) {
      const item = parent.items[Number(path[n - 1])] as Node | undefined;
      if (item?.range) return counter.linePos(item.range[0]).line;
    }
  }
  return 1;
}

function lineOfText(lines: string[], needle: string): number {
  const i = lines.findIndex((l) => l.includes(needle));
  return i >= 0 ? i + 1 : 1;
}
