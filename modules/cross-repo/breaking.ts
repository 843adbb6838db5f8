import { compareOpenApi } from './compare-openapi.ts';
import { compareSchema, type Where } from './compare-schema.ts';
import { loadContract, type Contract, type ReadFile } from './load-contract.ts';
import { levelOf, type Direction, type Level } from './rules.ts';

/** One change between two versions of a contract. */
export interface ContractChange {
  /** A stable rule id (oasdiff's check name where it has one), listed in the README. */
  id: string;
  level: Level;
  /** `POST /pets`, when the change is inside an operation. */
  operation?: string;
  /** JSON pointer into the resolved document. */
  pointer: string;
  /** The line in the head version, or in the base version for something removed. */
  line: number;
  side: 'head' | 'base';
  /** The line in the head version where the change shows (for a removal: its nearest surviving parent). */
  headLine: number;
  /** The file `line` and `headLine` are in, when the change is in a file the contract references. */
  file?: string;
  message: string;
}

/** A version that cannot be compared: never a pass. */
export interface ContractDiffError {
  error: string;
  line: number;
  side: 'head' | 'base';
}

/** One breaking change, located in the new version (or the old one, for removals). */
export interface BreakingChange {
  id: string;
  pointer: string;
  message: string;
  line: number;
  operation?: string;
}

export interface DiffOptions {
  /** The file's path in the repository: relative $refs resolve against it. */
  file?: string;
  readBase?: ReadFile;
  readHead?: ReadFile;
}

export const toPointer = (path: readonly string[]) => `/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/**
 * Every change between two versions of a contract file: OpenAPI 3.x when it has an `openapi` key,
 * JSON Schema otherwise. A version that cannot be read (conflict markers, YAML errors, Swagger 2.0,
 * an unknown OpenAPI version, a $ref that does not resolve) is an error with its line.
 */
export async function diffContract(baseText: string | undefined, headText: string | undefined, options: DiffOptions = {}): Promise<ContractChange[] | ContractDiffError> {
  if (baseText === undefined) return [];
  if (headText === undefined) return [{ id: 'contract-file-removed', level: 'breaking', pointer: '/', line: 1, side: 'base', headLine: 1, message: 'the contract file was deleted' }];
  const file = options.file ?? 'contract.yaml';
  const head = await loadContract(headText, file, options.readHead);
  if ('error' in head) return { ...head, side: 'head' };
  const base = await loadContract(baseText, file, options.readBase);
  if ('error' in base) return { ...base, side: 'base' };
  if (base.kind !== head.kind) {
    if (base.kind === 'openapi') return { error: 'the new version is no longer an OpenAPI document', line: 1, side: 'head' };
  }

  const changes: ContractChange[] = [];
  const seen = new Set<string>();
  const emit = (id: string, where: Where, message: string, direction?: Direction, operation?: string) => {
    const side = where.head || !where.base ? 'head' : 'base';
    const at = placeOf(side === 'head' ? head : base, where, side);
    // A removal is shown in the head at its nearest surviving parent, in the root file.
    const headAt = side === 'head' ? at : { line: head.lineOf(where.pointer), file: undefined };
    const change: ContractChange = { id, level: levelOf(id, direction), ...(operation ? { operation } : {}), pointer: toPointer(where.pointer), line: at.line, side, headLine: headAt.line, ...(headAt.file ? { file: headAt.file } : {}), message };
    const key = `${id}\n${operation ?? ''}\n${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    changes.push(change);
  };
  if (base.kind === 'openapi') compareOpenApi(base, head, emit);
  else {
    // A JSON Schema shared between repositories is written by some and read by others: a change
    // is judged both ways, as a request (writers) and as a response (readers).
    for (const direction of ['request', 'response'] as const) {
      compareSchema(base.value, head.value, { direction, kind: 'body', owner: direction === 'request' ? 'the schema (for writers)' : 'the schema (for readers)', base, head, emit }, []);
    }
  }
  return changes;
}

function placeOf(contract: Contract, where: Where, side: 'head' | 'base'): { line: number; file: string | undefined } {
  const node = side === 'head' ? where.head : where.base;
  const found = node ? contract.locate(node) : undefined;
  if (found) return { line: contract.lineOf(where.key ? [...found.path, where.key] : found.path, found.file), file: found.file };
  return { line: contract.lineOf(where.pointer), file: undefined };
}

/** The breaking changes only (the level `breaking`), or why the versions cannot be compared. */
export async function breakingChanges(baseText: string | undefined, headText: string | undefined, options: DiffOptions = {}): Promise<BreakingChange[] | { error: string; line: number }> {
  const result = await diffContract(baseText, headText, options);
  if (!Array.isArray(result)) return { error: `the ${result.side === 'head' ? 'new' : 'base'} version cannot be compared: ${result.error}`, line: result.line };
  return result.filter((c) => c.level === 'breaking').map((c) => ({ id: c.id, pointer: c.pointer, message: c.message, line: c.line, ...(c.operation ? { operation: c.operation } : {}) }));
}

