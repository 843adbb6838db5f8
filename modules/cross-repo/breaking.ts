import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';

/** One breaking change between two versions of a contract, located in the new version. */
export interface BreakingChange {
  pointer: string;
  message: string;
  line: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A parsed contract with a way back from a JSON pointer to its line. */
interface Located {
  value: Json;
  lineOf(path: readonly string[]): number;
}

export function parseContract(text: string): Located | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const value = doc.toJS({ maxAliasCount: 64 }) as Json;
  return {
    value,
    lineOf(path) {
      // The line of the key of the deepest element of the path that exists in this version.
      for (let n = path.length; n > 0; n--) {
        const parent = doc.getIn(path.slice(0, n - 1), true) as Node | undefined;
        if (!isMap(parent)) continue;
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === path[n - 1]);
        if (pair && isScalar(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
      }
      return 1;
    },
  };
}

const ptr = (path: readonly string[]) => `/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

function typesOf(schema: Obj): Set<string> | undefined {
  const t = schema.type;
  if (typeof t === 'string') return new Set(t === 'number' ? ['number', 'integer'] : [t]);
  if (Array.isArray(t)) return new Set(t.flatMap((x) => (x === 'number' ? ['number', 'integer'] : [String(x)])));
  return undefined;
}

/**
 * Compares two JSON Schemas (or OpenAPI schema objects) for changes that break a consumer:
 * removed properties, newly required properties, narrowed types, narrowed enums.
 */
function compareSchemas(base: Json, head: Json, path: string[], push: (path: string[], message: string) => void, depth = 0): void {
  if (!isObj(base) || !isObj(head) || depth > 24) return;
  if (typeof base.$ref === 'string' || typeof head.$ref === 'string') {
    if (base.$ref !== head.$ref) push(path, `schema reference changed from ${String(base.$ref)} to ${String(head.$ref)}`);
    return;
  }
  const baseTypes = typesOf(base);
  const headTypes = typesOf(head);
  if (baseTypes && headTypes) {
    const lost = [...baseTypes].filter((t) => !headTypes.has(t) && !(t === 'integer' && headTypes.has('number')));
    const show = (t: Json | undefined) => (Array.isArray(t) ? t.join('|') : String(t));
    if (lost.length > 0) push([...path, 'type'], `type narrowed: ${show(base.type)} -> ${show(head.type)}`);
  }
  if (Array.isArray(base.enum) && Array.isArray(head.enum)) {
    const headEnum = head.enum as Json[];
    const removed = base.enum.filter((v) => !headEnum.some((w) => JSON.stringify(w) === JSON.stringify(v)));
    if (removed.length > 0) push([...path, 'enum'], `enum narrowed: ${removed.map((v) => JSON.stringify(v)).join(', ')} removed`);
  } else if (!Array.isArray(base.enum) && Array.isArray(head.enum)) {
    push([...path, 'enum'], 'enum added: values are now restricted');
  }
  const baseProps = isObj(base.properties) ? base.properties : {};
  const headProps = isObj(head.properties) ? head.properties : {};
  for (const name of Object.keys(baseProps)) {
    if (!(name in headProps)) push([...path, 'properties'], `property "${name}" removed`);
    else compareSchemas(baseProps[name]!, headProps[name]!, [...path, 'properties', name], push, depth + 1);
  }
  const baseRequired = new Set(Array.isArray(base.required) ? base.required.map(String) : []);
  for (const name of Array.isArray(head.required) ? head.required.map(String) : []) {
    if (!baseRequired.has(name)) push([...path, 'required'], `property "${name}" is newly required`);
  }
  if (isObj(base.items) && isObj(head.items)) compareSchemas(base.items, head.items, [...path, 'items'], push, depth + 1);
}

/** Breaking changes between two OpenAPI 3.x documents. */
function compareOpenApi(base: Obj, head: Obj, push: (path: string[], message: string) => void): void {
  const basePaths = isObj(base.paths) ? base.paths : {};
  const headPaths = isObj(head.paths) ? head.paths : {};
  for (const [route, baseItem] of Object.entries(basePaths)) {
    const headItem = headPaths[route];
    if (!isObj(headItem)) {
      push(['paths'], `path ${route} removed`);
      continue;
    }
    if (!isObj(baseItem)) continue;
    for (const method of METHODS) {
      const baseOp = baseItem[method];
      if (!isObj(baseOp)) continue;
      const headOp = headItem[method];
      if (!isObj(headOp)) {
        push(['paths', route], `operation ${method.toUpperCase()} ${route} removed`);
        continue;
      }
      const where = ['paths', route, method];
      const baseResponses = isObj(baseOp.responses) ? baseOp.responses : {};
      const headResponses = isObj(headOp.responses) ? headOp.responses : {};
      for (const code of Object.keys(baseResponses)) {
        if (!(code in headResponses)) push([...where, 'responses'], `response ${code} of ${method.toUpperCase()} ${route} removed`);
        else {
          const b = (baseResponses[code] as Obj)?.content;
          const h = (headResponses[code] as Obj)?.content;
          if (isObj(b) && isObj(h)) {
            for (const media of Object.keys(b)) {
              if (isObj(h[media])) compareSchemas((b[media] as Obj).schema ?? null, (h[media] as Obj).schema ?? null, [...where, 'responses', code, 'content', media, 'schema'], push);
            }
          }
        }
      }
      const params = (op: Obj) => new Map((Array.isArray(op.parameters) ? op.parameters : []).filter(isObj).map((p) => [`${String(p.in)}:${String(p.name)}`, p] as const));
      const baseParams = params(baseOp);
      for (const [key, p] of params(headOp)) {
        const before = baseParams.get(key);
        if (p.required === true && (!before || before.required !== true)) push([...where, 'parameters'], `parameter ${key.replace(':', ' ')} is newly required`);
        if (before) compareSchemas(before.schema ?? null, p.schema ?? null, [...where, 'parameters'], push);
      }
      const baseBody = isObj(baseOp.requestBody) ? baseOp.requestBody : undefined;
      const headBody = isObj(headOp.requestBody) ? headOp.requestBody : undefined;
      if (headBody?.required === true && baseBody?.required !== true) push([...where, 'requestBody'], `request body of ${method.toUpperCase()} ${route} is newly required`);
      if (isObj(baseBody?.content) && isObj(headBody?.content)) {
        for (const media of Object.keys(baseBody.content)) {
          if (!isObj(headBody.content[media])) push([...where, 'requestBody', 'content'], `request media type ${media} removed`);
          else compareSchemas((baseBody.content[media] as Obj).schema ?? null, (headBody.content[media] as Obj).schema ?? null, [...where, 'requestBody', 'content', media, 'schema'], push);
        }
      }
    }
  }
  const baseSchemas = isObj(base.components) && isObj(base.components.schemas) ? base.components.schemas : {};
  const headSchemas = isObj(head.components) && isObj(head.components.schemas) ? head.components.schemas : {};
  for (const [name, schema] of Object.entries(baseSchemas)) {
    if (!(name in headSchemas)) push(['components', 'schemas'], `schema ${name} removed`);
    else compareSchemas(schema, headSchemas[name]!, ['components', 'schemas', name], push);
  }
}

/**
 * The breaking changes between two versions of a contract file: OpenAPI 3.x when it has an
 * `openapi` key, JSON Schema otherwise. Additive changes are not findings.
 */
export function breakingChanges(baseText: string | undefined, headText: string | undefined): BreakingChange[] | { error: string } {
  if (baseText === undefined) return [];
  if (headText === undefined) return [{ pointer: '/', message: 'contract file removed', line: 1 }];
  const base = parseContract(baseText);
  const head = parseContract(headText);
  if (!base) return { error: 'the base version does not parse' };
  if (!head) return { error: 'the new version does not parse as YAML or JSON' };
  const changes: BreakingChange[] = [];
  const push = (path: string[], message: string) => changes.push({ pointer: ptr(path), message, line: head.lineOf(path) });
  if (isObj(base.value) && typeof base.value.openapi === 'string') {
    if (!isObj(head.value)) return { error: 'the new version is not an OpenAPI document' };
    compareOpenApi(base.value, head.value, push);
  } else {
    compareSchemas(base.value, head.value, [], push);
  }
  return changes;
}
