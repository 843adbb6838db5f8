import { parse, type ParserPlugin } from '@babel/parser';
import { ENV_NAME } from './detectors.ts';
import type { GrammarScan, PendingRead } from './grammar-reads.ts';

/** A Babel AST node, walked generically: only the fields a read form needs are looked at. */
interface N {
  type: string;
  loc?: { start: { line: number } } | null;
  [key: string]: unknown;
}

const SKIP_KEYS = new Set(['loc', 'start', 'end', 'range', 'extra', 'comments', 'leadingComments', 'trailingComments', 'innerComments', 'tokens', 'errors']);
const PROCESS_MODULES = new Set(['process', 'node:process']);
/** Helpers bundlers and compilers wrap a require() in. */
const INTEROP = /^(?:__toESM|__importDefault|__importStar|_interopRequireDefault|_interopRequireWildcard|__toModule|_interop_require_default|_interop_require_wildcard)$/;

const isNode = (value: unknown): value is N => typeof value === 'object' && value !== null && typeof (value as N).type === 'string';
const lineOf = (node: N): number => node.loc?.start.line ?? 1;

function pluginsFor(path: string): ParserPlugin[][] {
  const lower = path.toLowerCase();
  if (/\.(ts|mts|cts)$/.test(lower)) return [['typescript'], ['typescript', 'jsx']];
  if (lower.endsWith('.tsx')) return [['typescript', 'jsx']];
  return [['jsx'], [], [['typescript', {}], 'jsx'] as ParserPlugin[]];
}

/** Parses JS/TS leniently; undefined when no grammar accepts the file. */
export function parseJs(path: string, text: string): N | undefined {
  for (const plugins of pluginsFor(path)) {
    try {
      return parse(text, {
        sourceType: 'unambiguous',
        plugins,
        errorRecovery: true,
        allowReturnOutsideFunction: true,
        allowAwaitOutsideFunction: true,
        allowImportExportEverywhere: true,
        allowUndeclaredExports: true,
        allowNewTargetOutsideFunction: true,
        allowSuperOutsideMethod: true,
        // Comments are never read: not attaching them to nodes saves time on commented code.
        attachComment: false,
      }) as unknown as N;
    } catch {
      // next grammar
    }
  }
  return undefined;
}

const functionTypes = new Map<string, boolean>();
/** Whether a node is a function of any kind (declaration, expression, arrow, method). */
const isFunction = (node: N): boolean => {
  let fn = functionTypes.get(node.type);
  if (fn === undefined) functionTypes.set(node.type, (fn = /Function|ObjectMethod|ClassMethod/.test(node.type)));
  return fn;
};

const LEAF: readonly string[] = [];
/**
 * The keys that hold child nodes, in source order, for the node types most code is made of (as
 * Babel's own VISITOR_KEYS list them; tests/doc-sync/js-walk.test.ts holds the two together).
 * Other types fall back to every own key but the non-node ones: slower, never wrong.
 */
export const CHILD_KEYS = new Map<string, readonly string[]>([
  ['Identifier', ['typeAnnotation', 'decorators']],
  ['StringLiteral', LEAF],
  ['NumericLiteral', LEAF],
  ['BooleanLiteral', LEAF],
  ['NullLiteral', LEAF],
  ['TemplateElement', LEAF],
  ['ThisExpression', LEAF],
  ['TSStringKeyword', LEAF],
  ['TSNumberKeyword', LEAF],
  ['TSBooleanKeyword', LEAF],
  ['TSUndefinedKeyword', LEAF],
  ['TSAnyKeyword', LEAF],
  ['TSUnknownKeyword', LEAF],
  ['TSVoidKeyword', LEAF],
  ['MemberExpression', ['object', 'property']],
  ['OptionalMemberExpression', ['object', 'property']],
  ['CallExpression', ['callee', 'typeParameters', 'typeArguments', 'arguments']],
  ['OptionalCallExpression', ['callee', 'typeParameters', 'typeArguments', 'arguments']],
  ['NewExpression', ['callee', 'typeParameters', 'typeArguments', 'arguments']],
  ['ObjectProperty', ['decorators', 'key', 'value']],
  ['ObjectExpression', ['properties']],
  ['ArrayExpression', ['elements']],
  ['VariableDeclaration', ['declarations']],
  ['VariableDeclarator', ['id', 'init']],
  ['BinaryExpression', ['left', 'right']],
  ['LogicalExpression', ['left', 'right']],
  ['AssignmentExpression', ['left', 'right']],
  ['ConditionalExpression', ['test', 'consequent', 'alternate']],
  ['UnaryExpression', ['argument']],
  ['AwaitExpression', ['argument']],
  ['SpreadElement', ['argument']],
  ['ReturnStatement', ['argument']],
  ['ThrowStatement', ['argument']],
  ['ExpressionStatement', ['expression']],
  ['IfStatement', ['test', 'consequent', 'alternate']],
  ['BlockStatement', ['directives', 'body']],
  ['ForOfStatement', ['left', 'right', 'body']],
  ['TemplateLiteral', ['quasis', 'expressions']],
  ['ArrowFunctionExpression', ['typeParameters', 'params', 'predicate', 'returnType', 'body']],
  ['FunctionDeclaration', ['id', 'typeParameters', 'params', 'predicate', 'returnType', 'body']],
  ['ImportDeclaration', ['specifiers', 'source', 'attributes', 'assertions']],
  ['ImportSpecifier', ['imported', 'local']],
  ['TSTypeAnnotation', ['typeAnnotation']],
  ['TSTypeReference', ['typeName', 'typeParameters']],
  ['TSTypeParameterInstantiation', ['params']],
  ['TSAsExpression', ['expression', 'typeAnnotation']],
  ['TSArrayType', ['elementType']],
  ['TSUnionType', ['types']],
  ['TSPropertySignature', ['key', 'typeAnnotation']],
]);

/** Visits every node once, parents before children, in source order; `stack` holds the functions around the node, innermost last. */
function walk(node: N, visit: (node: N, parent: N | undefined, key: string) => void, stack?: N[], parent?: N, key = ''): void {
  visit(node, parent, key);
  const fn = stack !== undefined && isFunction(node);
  if (fn) stack.push(node);
  const keys = CHILD_KEYS.get(node.type) ?? Object.keys(node);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const value = node[k];
    if (typeof value !== 'object' || value === null || SKIP_KEYS.has(k)) continue;
    if (Array.isArray(value)) {
      for (let j = 0; j < value.length; j++) {
        const item: unknown = value[j];
        if (isNode(item)) walk(item, visit, stack, node, k);
      }
    } else if (isNode(value)) walk(value, visit, stack, node, k);
  }
  if (fn) stack!.pop();
}

const str = (node: unknown): string | undefined => {
  if (!isNode(node)) return undefined;
  if (node.type === 'StringLiteral') return node.value as string;
  if (node.type === 'TemplateLiteral' && (node.expressions as N[]).length === 0) return ((node.quasis as N[])[0]?.value as { cooked?: string })?.cooked ?? undefined;
  return undefined;
};
const ident = (node: unknown): string | undefined => (isNode(node) && node.type === 'Identifier' ? (node.name as string) : undefined);
const propName = (node: N): string | undefined => (node.computed ? str(node.property) : ident(node.property) ?? str(node.property));
const isMember = (node: N) => node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression';

/** Strips wrappers that do not change the value: TS assertions, parentheses, `(0, x)`. */
function unwrap(node: unknown): N | undefined {
  let current = isNode(node) ? node : undefined;
  while (current) {
    if (['TSNonNullExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSTypeAssertion', 'ParenthesizedExpression', 'TypeCastExpression'].includes(current.type)) current = current.expression as N;
    else if (current.type === 'SequenceExpression') current = (current.expressions as N[]).at(-1);
    else if (current.type === 'AwaitExpression') current = current.argument as N;
    else return current;
  }
  return undefined;
}

/** Names a file binds to `process` and to its environment object, and its string constants. */
class Bindings {
  readonly processIds = new Set(['process']);
  readonly envIds = new Set<string>();
  /** `exports.K = process.env` style aliases, by property name. */
  readonly envMembers = new Set<string>();
  readonly constants = new Map<string, string>();
  /** Parameters that receive the environment, per function: `detect({ env })`, `f(env)` called as `f(process.env)`. */
  readonly scoped = new Map<N, Set<string>>();
  /** Destructured parameters that receive the environment: `const f = ({ X }) => ...; f(process.env)`. */
  readonly envPatterns = new Set<N>();
  readonly stack: N[] = [];
  private readonly functions = new Map<string, N>();
  private readonly calls: Array<{ callee: string; args: N[]; stack: N[] }> = [];

  /** Constants this file declares that look like names, for other files. */
  readonly exported = new Map<string, string>();

  isProcess(raw: unknown): boolean {
    const node = unwrap(raw);
    if (!node) return false;
    if (node.type === 'Identifier') return this.processIds.has(node.name as string);
    if (isMember(node)) {
      const name = propName(node);
      const object = unwrap(node.object);
      if (name === 'process' && object && ['globalThis', 'global', 'window', 'self'].includes(ident(object) ?? '')) return true;
      if (name === 'default' && this.isProcess(object)) return true;
      return false;
    }
    if (node.type === 'LogicalExpression') return this.isProcess(node.left) || this.isProcess(node.right);
    if (node.type === 'ConditionalExpression') return this.isProcess(node.consequent) || this.isProcess(node.alternate);
    if (node.type === 'CallExpression') {
      const callee = ident(unwrap(node.callee));
      const args = node.arguments as N[];
      if (callee === 'require') return PROCESS_MODULES.has(str(args[0]) ?? '');
      if (callee && INTEROP.test(callee)) return this.isProcess(args[0]);
    }
    return false;
  }

  /** Which environment object an expression is: process (also aliases), import.meta, Bun; or undefined. */
  envOf(raw: unknown): 'process' | 'import-meta' | 'bun' | undefined {
    const node = unwrap(raw);
    if (!node) return undefined;
    if (node.type === 'Identifier') {
      const name = node.name as string;
      if (this.envIds.has(name) || this.stack.some((fn) => this.scoped.get(fn)?.has(name))) return 'process';
      return undefined;
    }
    if (isMember(node)) {
      const name = propName(node);
      const object = unwrap(node.object);
      if (!object) return undefined;
      if (name === 'env') {
        if (object.type === 'MetaProperty') return 'import-meta';
        if (ident(object) === 'Bun') return 'bun';
        if (this.isProcess(object)) return 'process';
      }
      if (name && this.envMembers.has(name) && ident(object) === 'exports') return 'process';
      return undefined;
    }
    if (node.type === 'LogicalExpression') return this.envOf(node.left) ?? this.envOf(node.right);
    if (node.type === 'ConditionalExpression') return this.envOf(node.consequent) ?? this.envOf(node.alternate);
    return undefined;
  }

  private scope(fn: N, name: string): void {
    const names = this.scoped.get(fn) ?? new Set<string>();
    names.add(name);
    this.scoped.set(fn, names);
  }

  /** Follows the environment into the parameters of the file's own functions it is passed to. */
  resolveCalls(): void {
    for (const call of this.calls) {
      const fn = this.functions.get(call.callee);
      if (!fn) continue;
      const saved = this.stack.splice(0, this.stack.length, ...call.stack);
      call.args.forEach((arg, i) => {
        const param = (fn.params as N[] | undefined)?.[i];
        if (!param || !this.envOf(arg)) return;
        const target = unwrap(param.type === 'AssignmentPattern' ? param.left : param);
        if (target?.type === 'Identifier') this.scope(fn, target.name as string);
        else if (target?.type === 'ObjectPattern') this.envPatterns.add(target);
      });
      this.stack.splice(0, this.stack.length, ...saved);
    }
    this.calls.length = 0;
  }

  /**
   * The name a computed key stands for: a literal or a constant of this file (`{ name }`), else a
   * reference (`{ ref }`) to a constant another changed file may declare (`KEY`, `consts.KEY`),
   * resolved once every changed file's constants are known. Undefined for anything else.
   */
  key(raw: unknown): { name?: string; ref?: string } | undefined {
    const node = unwrap(raw);
    if (!node) return undefined;
    const literal = str(node);
    if (literal !== undefined) return { name: literal };
    if (node.type === 'Identifier') {
      const own = this.constants.get(node.name as string);
      return own !== undefined ? { name: own } : { ref: node.name as string };
    }
    if (isMember(node) && !node.computed) {
      const name = ident(node.property);
      if (!name) return undefined;
      const own = this.constants.get(`exports.${name}`);
      return own !== undefined ? { name: own } : { ref: name };
    }
    return undefined;
  }

  learn(node: N): void {
    if (node.type === 'VariableDeclarator' || (node.type === 'AssignmentExpression' && isMember(node.left as N) && !(node.left as N).computed)) {
      const name = node.type === 'VariableDeclarator' ? ident(node.id) : ident((node.left as N).property);
      const value = str(node.type === 'VariableDeclarator' ? node.init : node.right);
      if (name && value !== undefined && ENV_NAME.test(value)) this.exported.set(name, value);
    }
    if (node.type === 'CallExpression') {
      const callee = ident(node.callee);
      if (callee) this.calls.push({ callee, args: node.arguments as N[], stack: [...this.stack] });
    }
    if (node.type === 'FunctionDeclaration' && ident(node.id)) this.functions.set(ident(node.id)!, node);
    if (node.type === 'VariableDeclarator' && ident(node.id) && isNode(node.init) && isFunction(node.init)) this.functions.set(ident(node.id)!, node.init);
    if (node.type === 'VariableDeclarator' || node.type === 'AssignmentPattern' || node.type === 'AssignmentExpression') {
      const target = unwrap(node.type === 'VariableDeclarator' ? node.id : node.left);
      const value = node.type === 'VariableDeclarator' ? node.init : node.right;
      if (!target || !value) return;
      const name = ident(target);
      if (name) {
        if (this.isProcess(value)) this.processIds.add(name);
        else if (this.envOf(value)) this.envIds.add(name);
        else {
          const literal = str(value);
          if (literal !== undefined && node.type === 'VariableDeclarator') this.constants.set(name, literal);
        }
        return;
      }
      if (isMember(target) && !target.computed) {
        const object = unwrap(target.object);
        const objectName = ident(object) ?? (object && isMember(object) && ident(object.object) === 'module' && propName(object) === 'exports' ? 'exports' : undefined);
        const prop = ident(target.property);
        if (objectName === 'exports' && prop) {
          if (this.envOf(value)) this.envMembers.add(prop);
          const literal = str(value);
          if (literal !== undefined) this.constants.set(`exports.${prop}`, literal);
        }
        return;
      }
      if (target.type === 'ObjectPattern' && this.isProcess(value)) {
        for (const prop of target.properties as N[]) {
          if (prop.type !== 'ObjectProperty' || propName({ ...prop, property: prop.key, computed: prop.computed } as N) !== 'env') continue;
          const local = unwrap(prop.value);
          const alias = ident(local?.type === 'AssignmentPattern' ? local.left : local);
          if (alias) this.envIds.add(alias);
        }
      }
      return;
    }
    if (node.type === 'ImportDeclaration' && PROCESS_MODULES.has(str(node.source) ?? '')) {
      for (const spec of node.specifiers as N[]) {
        const local = ident(spec.local);
        if (!local) continue;
        if (spec.type === 'ImportDefaultSpecifier' || spec.type === 'ImportNamespaceSpecifier') this.processIds.add(local);
        else if ((ident(spec.imported) ?? str(spec.imported)) === 'env') this.envIds.add(local);
      }
      return;
    }
    if (node.type === 'ExportNamedDeclaration' || node.type === 'VariableDeclaration') return;
    // An injected environment: a destructured parameter named `env` (`detect({ env })`).
    if (isFunction(node)) {
      for (const param of (node.params as N[] | undefined) ?? []) {
        const pattern = unwrap(param.type === 'AssignmentPattern' ? param.left : param);
        if (pattern?.type !== 'ObjectPattern') continue;
        for (const prop of pattern.properties as N[]) {
          if (prop.type === 'ObjectProperty' && !prop.computed && ident(prop.key) === 'env') {
            const local = unwrap(prop.value);
            const alias = ident(local?.type === 'AssignmentPattern' ? local.left : local);
            if (alias) this.scope(node, alias);
          }
        }
      }
    }
  }
}

const DETECTOR = { process: 'js.process-env', 'import-meta': 'js.import-meta-env', bun: 'js.bun-env' } as const;

/** A parsed JS/TS file with what it binds to the environment learned (one walk). */
export interface JsModule {
  ast: N;
  bindings: Bindings;
}

export function jsLearn(ast: N): JsModule {
  const bindings = new Bindings();
  walk(ast, (node) => bindings.learn(node), bindings.stack);
  bindings.resolveCalls();
  return { ast, bindings };
}

/**
 * Environment reads in one JS/TS file, found on its syntax tree: member and index reads of
 * `process.env` and its aliases, destructuring, `'X' in env`, `import.meta.env`, `Bun.env`,
 * `Deno.env.get`. Writes (`process.env.X = ...`, `delete process.env.X`) are not reads. A key
 * that names a constant the file does not declare (`process.env[KEY]`) is kept as a reference
 * (`ref`), for `resolveReads` to look up among the other changed files' constants.
 */
export function jsPendingReads(module: JsModule): PendingRead[] {
  const { ast, bindings } = module;
  const reads: PendingRead[] = [];
  const add = (key: { name?: string; ref?: string } | undefined, at: N, detector: string) => {
    if (!key || (key.name === undefined && key.ref === undefined)) return;
    if (key.name !== undefined && !ENV_NAME.test(key.name)) return;
    reads.push({ ...key, line: lineOf(at), detector });
  };
  const named = (name: string | undefined) => (name === undefined ? undefined : { name });
  const destructure = (pattern: unknown, value: unknown, passed = false) => {
    const target = unwrap(pattern);
    if (target?.type !== 'ObjectPattern' || !(passed || bindings.envOf(value))) return;
    for (const prop of target.properties as N[]) {
      if (prop.type !== 'ObjectProperty') continue;
      add(prop.computed ? bindings.key(prop.key) : named(ident(prop.key) ?? str(prop.key)), prop.key as N, 'js.destructure-env');
    }
  };
  walk(ast, (node, parent, key) => {
    if (isMember(node)) {
      const env = bindings.envOf(node.object);
      if (!env) return;
      if (parent?.type === 'AssignmentExpression' && key === 'left') return;
      if (parent?.type === 'UnaryExpression' && parent.operator === 'delete') return;
      if (parent?.type === 'UpdateExpression') return;
      if ((parent?.type === 'CallExpression' || parent?.type === 'OptionalCallExpression') && key === 'callee') return;
      add(node.computed ? bindings.key(node.property) : named(ident(node.property)), node.property as N, node.computed ? `${DETECTOR[env]}-index` : DETECTOR[env]);
    } else if (bindings.envPatterns.has(node)) destructure(node, undefined, true);
    else if (node.type === 'VariableDeclarator') destructure(node.id, node.init);
    else if (node.type === 'AssignmentExpression' || node.type === 'AssignmentPattern') destructure(node.left, node.right);
    else if (node.type === 'BinaryExpression' && node.operator === 'in' && bindings.envOf(node.right)) add(bindings.key(node.left), node, 'js.in-env');
    else if (node.type === 'CallExpression' || node.type === 'OptionalCallExpression') {
      const callee = unwrap(node.callee);
      if (!callee || !isMember(callee)) return;
      const method = propName(callee);
      const object = unwrap(callee.object);
      const args = node.arguments as N[];
      if ((method === 'get' || method === 'has') && object && isMember(object) && propName(object) === 'env' && ident(unwrap(object.object)) === 'Deno') {
        add(bindings.key(args[0]), node, 'js.deno-env');
      } else if (method === 'hasOwnProperty' && bindings.envOf(object)) {
        add(bindings.key(args[0]), node, 'js.in-env');
      }
    }
  }, bindings.stack);
  return reads;
}

/**
 * Parses one JS/TS file and returns what it reads and the string constants it declares that look
 * like names (`const K = 'X'`, `exports.K = 'X'`), for the other files' lookups. The syntax tree is
 * dropped on return, so a large change holds only its reads. Undefined when no grammar accepts it.
 */
export function jsScan(path: string, text: string): GrammarScan | undefined {
  const ast = parseJs(path, text);
  if (!ast) return undefined;
  const module = jsLearn(ast);
  return { reads: jsPendingReads(module), constants: module.bindings.exported };
}
