import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type * as z from 'zod';
import { DriftGuardError } from '../errors.ts';
import type { ModuleRegistry } from '../module.ts';
import { closest } from '../suggest.ts';
import { locate, type PathSegment } from './locate.ts';
import { formatPath, type PolicyProblem } from './problem.ts';
import { checkRules, checkWarnings } from './rules.ts';
import { policySchema, type Policy } from './schema.ts';
import { showInvisible } from './types.ts';

/** A policy is a short hand-written file; anything larger is a mistake or an attack. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Aliases may be used for sharing, not for "billion laughs" expansion. */
const MAX_ALIAS_COUNT = 64;

export interface LoadedPolicy {
  file: string;
  policy: Policy;
  /** sha256 of the file's bytes, recorded in every audit artifact. */
  hash: string;
  /** What is valid but likely a mistake, one `file:line:col key.path: message` line each. */
  warnings: string[];
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  in?: { _zod: { def: SchemaDef } };
  valueType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
}

/** The keys an object schema knows at a path, for "did you mean" suggestions. */
function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = () => {
    for (;;) {
      const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
      if (!next) return;
      def = next._zod.def;
    }
  };
  unwrap();
  for (const segment of path) {
    const next =
      def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'record' ? def.valueType : def.type === 'array' ? def.element : undefined;
    if (!next) return [];
    def = next._zod.def;
    unwrap();
  }
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function zodProblems(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const hint = closest(key, known);
        const suffix = hint ? `; did you mean "${hint}"?` : known.length ? `; expected one of ${known.join(', ')}` : '';
        const hidden = showInvisible(key) !== key ? ' (it holds characters that cannot be seen, shown as \\u{...})' : '';
        problems.push({ path: [...path, key], at: 'key', message: `unknown key "${showInvisible(key)}"${hidden}${suffix}` });
      }
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  // One value over several limits (a number past both the safe-integer range and the setting's own
  // maximum) is one problem: keep the tightest limit.
  return problems.filter((p, i) => !(p.message.startsWith('too large: ') && problems.some((q, j) => j !== i && q.message.startsWith('too large: ') && samePath(p.path, q.path) && limitOf(q) < limitOf(p))));
}

const samePath = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((s, i) => s === b[i]);
const limitOf = (p: PolicyProblem) => Number(/at most (\S+),/.exec(p.message)?.[1] ?? Infinity);

/**
 * The key path of the node that starts at `offset` in a YAML document (the key of a duplicate, the
 * start of an item), for messages that name where in the policy something is.
 */
function pathAtOffset(node: unknown, offset: number, path: Array<string | number> = []): Array<string | number> | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyRange = (pair.key as { range?: [number, number, number] } | null)?.range;
      if (keyRange && keyRange[0] === offset) return [...path, key];
      const inner = pathAtOffset(pair.value, offset, [...path, key]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = pathAtOffset(item, offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** The YAML library's errors in the policy's own words: what is wrong, and where in the policy. */
function yamlProblem(doc: Document.Parsed, error: YAMLError): string {
  const first = error.message.split('\n')[0]!;
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const path = pathAtOffset(doc.contents, error.pos[0]);
      if (!path) return 'a key appears twice in the same mapping';
      const key = path.at(-1)!;
      return `duplicate key "${showInvisible(String(key))}" in ${formatPath(path.slice(0, -1))}: each key may appear once in a mapping`;
    }
    case 'MULTIPLE_DOCS':
      return 'one YAML document expected: a second one starts here (after "---"); a policy is one document';
    default:
      return first.replace(/;? ?please use [^.]*\.?$/i, '');
  }
}

/** The sections of a policy that parse on their own; sections that do not are left empty. */
function partialPolicy(schema: ReturnType<typeof policySchema>, data: Record<string, unknown>): Policy {
  const workflows = schema.shape.workflows.safeParse(data.workflows);
  const lifecycles: Policy['lifecycles'] = {};
  const rawLifecycles = data.lifecycles;
  if (rawLifecycles && typeof rawLifecycles === 'object') {
    for (const [name, raw] of Object.entries(rawLifecycles)) {
      // Unknown keys are reported by the schema; without them the lifecycle's own rules still run.
      let data: unknown = structuredClone(raw);
      for (let round = 0; round < 8; round++) {
        const one = schema.shape.lifecycles.safeParse({ [name]: data });
        if (one.success) {
          Object.assign(lifecycles, one.data);
          break;
        }
        const issues = one.error.issues;
        if (!issues.every((i) => i.code === 'unrecognized_keys')) break;
        for (const issue of issues) {
          const parent = issue.path.slice(1).reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey], data) as Record<string, unknown> | undefined;
          for (const key of (issue as { keys: string[] }).keys) if (parent) delete parent[key];
        }
        if (issues.some((i) => i.path.length === 0)) data = {};
      }
    }
  }
  const modules: Policy['modules'] = {};
  const rawModules = (data.modules ?? {}) as Record<string, unknown>;
  const slices = (schema.shape.modules as unknown as { unwrap(): { shape: Record<string, z.ZodType> } }).unwrap().shape;
  if (rawModules && typeof rawModules === 'object') {
    for (const [id, slice] of Object.entries(slices)) {
      const result = slice.safeParse(rawModules[id]);
      if (result.success) modules[id] = result.data as Policy['modules'][string];
    }
  }
  return {
    version: 1,
    dry_run: true,
    audit: { dir: '.artifacts' },
    log: { level: 'info' },
    workflows: workflows.success ? workflows.data : {},
    github: schema.shape.github.parse({}),
    overrides: schema.shape.overrides.parse({}),
    notifications: schema.shape.notifications.parse({}),
    auth: schema.shape.auth.parse({}),
    modules,
    lifecycles,
  };
}

function render(file: string, doc: Document, counter: LineCounter, problems: PolicyProblem[]): string[] {
  return problems
    .map((problem) => ({ problem, pos: locate(doc, counter, problem.path, problem.at) }))
    .sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col)
    .map(({ problem, pos }) => `${file}:${pos.line}:${pos.col} ${formatPath(problem.path)}: ${problem.message}`);
}

function invalid(file: string, lines: string[]): DriftGuardError {
  const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
  return new DriftGuardError('policy_invalid', `${file} is not a valid policy (${count}):`, { details: lines });
}

async function readPolicyText(file: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    throw new DriftGuardError('policy_unreadable', `${file}: cannot read the policy: ${why}`, { cause: err });
  }
  if (info.isDirectory()) throw new DriftGuardError('policy_unreadable', `${file}: is a directory, expected a policy file such as ${file}/policy.yaml`);
  if (!info.isFile()) throw new DriftGuardError('policy_unreadable', `${file}: is not a regular file`);
  if (info.size > MAX_POLICY_BYTES) {
    throw new DriftGuardError('policy_unreadable', `${file}: is ${(info.size / 1024 / 1024).toFixed(1)} MiB; a policy may be at most 1 MiB`);
  }
  try {
    return await readFile(file);
  } catch (err) {
    throw new DriftGuardError('policy_unreadable', `${file}: cannot read the policy: ${(err as Error).message}`, { cause: err });
  }
}

/** Parses and validates policy text. Every problem is gathered before anything is thrown. */
export async function parsePolicy(file: string, text: string, registry: ModuleRegistry): Promise<Policy> {
  return (await parsePolicyWithWarnings(file, text, registry)).policy;
}

/** parsePolicy, with the warnings of a valid policy rendered as `file:line:col key.path: message`. */
export async function parsePolicyWithWarnings(file: string, text: string, registry: ModuleRegistry): Promise<{ policy: Policy; warnings: string[] }> {
  if (text.includes('\u0000')) throw invalid(file, [`${file}:1:1 (top level): expected a YAML text file, got binary data`]);
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    throw invalid(file, [`${file}:1:1 (top level): the policy is empty; expected a mapping starting with "version: 1"`]);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  if (doc.errors.length > 0) {
    throw invalid(
      file,
      doc.errors.map((e) => {
        const pos = counter.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col} ${yamlProblem(doc, e)}`;
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw invalid(file, [`${file}:1:1 (top level): ${(err as Error).message} (aliases are limited to ${MAX_ALIAS_COUNT} expansions)`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const got = Array.isArray(data) ? 'a list' : data === null ? 'nothing' : typeof data;
    throw invalid(file, [`${file}:1:1 (top level): expected a mapping starting with "version: 1", got ${got}`]);
  }
  const schema = policySchema(registry);
  const parsed = schema.safeParse(data, { reportInput: true });
  const problems = parsed.success ? [] : zodProblems(parsed.error.issues, schema);
  // Semantic rules run even when other parts failed, on whatever sections did parse, so that
  // one run reports every problem.
  problems.push(...(await checkRules(parsed.success ? (parsed.data as Policy) : partialPolicy(schema, data as Record<string, unknown>), registry)));
  if (problems.length > 0) throw invalid(file, render(file, doc, counter, problems));
  const policy = parsed.data as Policy;
  // Defaults fill in every module's slice: only the ones the file itself configures can be unused.
  const raw = (data as { modules?: unknown }).modules;
  const written = new Set(raw && typeof raw === 'object' ? Object.keys(raw) : []);
  const configured = { ...policy, modules: Object.fromEntries(Object.entries(policy.modules).filter(([id]) => written.has(id))) };
  return { policy, warnings: render(file, doc, counter, await checkWarnings(configured, registry)) };
}

/** Parses policy text that did not come from a file on disk (a blob at a git commit). */
export async function loadPolicyText(label: string, text: string, registry: ModuleRegistry): Promise<LoadedPolicy> {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_POLICY_BYTES) throw new DriftGuardError('policy_unreadable', `${label}: is larger than 1 MiB; a policy may be at most 1 MiB`);
  const { policy, warnings } = await parsePolicyWithWarnings(label, text.replace(/^\uFEFF/, ''), registry);
  return { file: label, policy, hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, warnings };
}

export async function loadPolicy(file: string, registry: ModuleRegistry): Promise<LoadedPolicy> {
  const bytes = await readPolicyText(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(file, [`${file}:1:1 (top level): expected UTF-8 text, got bytes that are not UTF-8`]);
  }
  const { policy, warnings } = await parsePolicyWithWarnings(file, text.replace(/^\uFEFF/, ''), registry);
  return { file, policy, hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, warnings };
}
