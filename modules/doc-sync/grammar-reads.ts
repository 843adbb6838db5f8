import type { Node } from '@vscode/tree-sitter-wasm';
import { ENV_NAME, SHELL_BUILTINS, type Hit } from './detectors.ts';
import { visit, withTree } from './grammars.ts';

/**
 * A read found in a parsed file: either a literal name, or a reference to a string constant
 * (`os.getenv(KEY)`) resolved once every changed file's constants are known.
 */
export interface PendingRead {
  name?: string;
  ref?: string;
  /** 1-based line of the read. */
  line: number;
  detector: string;
}

/** What a Python, Go or shell file reads, and the string constants it declares (name -> value). */
export interface GrammarScan {
  reads: PendingRead[];
  constants: Map<string, string>;
}

const ENV_KIND = 'environment variable';
const lineOf = (node: Node) => node.startPosition.row + 1;

/** Constants declared once with one string value; a name given two values is dropped. */
class Constants {
  readonly values = new Map<string, string>();
  private readonly clash = new Set<string>();
  set(name: string, value: string): void {
    if (this.values.has(name) && this.values.get(name) !== value) this.clash.add(name);
    this.values.set(name, value);
  }
  done(): Map<string, string> {
    for (const name of this.clash) this.values.delete(name);
    return this.values;
  }
}

/**
 * Resolves a scan's reads to hits: literal names as they are, constant references through the
 * file's own constants first, then `shared` (constants of the other changed files of the same
 * language). References that resolve to nothing, and names that are not environment-variable
 * shaped (`[A-Z_][A-Z0-9_]*`), are dropped.
 */
export function resolveReads(scan: GrammarScan, shared: ReadonlyMap<string, string> = new Map()): Hit[] {
  const hits: Hit[] = [];
  for (const read of scan.reads) {
    const name = read.name ?? (read.ref !== undefined ? (scan.constants.get(read.ref) ?? shared.get(read.ref)) : undefined);
    if (name !== undefined && ENV_NAME.test(name)) hits.push({ name, line: read.line, detector: read.detector, kind: ENV_KIND });
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Python (tree-sitter-python)

/** The text of a plain string literal (`'X'`, `"X"`, `r"X"`), or undefined for f-strings, bytes, escapes, concatenations. */
function pythonString(node: Node | null): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  const parts = node.namedChildren;
  const start = parts[0];
  if (!start || start.type !== 'string_start' || /[fFbB]/.test(start.text)) return undefined;
  if (parts.length === 2 && parts[1]?.type === 'string_end') return '';
  if (parts.length !== 3 || parts[1]?.type !== 'string_content' || parts[2]?.type !== 'string_end') return undefined;
  return parts[1].text;
}

const PY_PASS1 = new Set(['import_statement', 'import_from_statement', 'assignment']);
const PY_PASS2 = new Set(['subscript', 'call', 'comparison_operator']);
const PY_TARGETS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern']);

/**
 * Python reads: `os.environ['X']`, `os.environ.get/setdefault/pop('X')`, `os.getenv('X')`,
 * `'X' in os.environ`, through `import os as o`, `from os import environ, getenv [as ...]` and
 * aliases (`env = os.environ`), with the name given literally or as a string constant of the
 * module (`KEY = 'X'`). Assignments (`os.environ['X'] = v`) and `del` are not reads; `+=` is.
 * Comments and strings are not code, so code quoted in them is never read.
 */
export async function pythonScan(text: string): Promise<GrammarScan> {
  return (
    (await withTree('python', text, (root) => {
      const osNames = new Set(['os']);
      const environNames = new Set<string>();
      const getenvNames = new Set<string>();
      const constants = new Constants();
      const aliasAssignments: Array<[string, Node]> = [];
      visit(root, (node) => {
        if (node.type === 'import_statement') {
          for (const child of node.namedChildren) {
            if (child?.type === 'aliased_import' && child.childForFieldName('name')?.text === 'os') {
              const alias = child.childForFieldName('alias')?.text;
              if (alias) osNames.add(alias);
            }
          }
        } else if (node.type === 'import_from_statement') {
          if (node.childForFieldName('module_name')?.text !== 'os') return;
          for (const child of node.childrenForFieldName('name')) {
            if (!child) continue;
            const [name, alias] = child.type === 'aliased_import' ? [child.childForFieldName('name')?.text, child.childForFieldName('alias')?.text] : [child.text, child.text];
            if (!alias) continue;
            if (name === 'environ') environNames.add(alias);
            if (name === 'getenv') getenvNames.add(alias);
          }
        } else if (node.type === 'assignment') {
          const left = node.childForFieldName('left');
          const right = node.childForFieldName('right');
          if (left?.type !== 'identifier' || !right) return;
          const value = pythonString(right);
          if (value !== undefined) constants.set(left.text, value);
          else aliasAssignments.push([left.text, right]);
        }
      }, PY_PASS1);

      const isOs = (node: Node | null) => node?.type === 'identifier' && osNames.has(node.text);
      const isEnviron = (node: Node | null): boolean =>
        !!node && ((node.type === 'identifier' && environNames.has(node.text)) || (node.type === 'attribute' && node.childForFieldName('attribute')?.text === 'environ' && isOs(node.childForFieldName('object'))));
      // `env = os.environ`, and aliases of aliases, in any order.
      for (let grew = true; grew; ) {
        grew = false;
        for (const [name, right] of aliasAssignments) {
          if (!environNames.has(name) && isEnviron(right)) {
            environNames.add(name);
            grew = true;
          }
        }
      }
      const isGetenv = (node: Node | null) =>
        !!node && ((node.type === 'identifier' && getenvNames.has(node.text)) || (node.type === 'attribute' && node.childForFieldName('attribute')?.text === 'getenv' && isOs(node.childForFieldName('object'))));

      const reads: PendingRead[] = [];
      const key = (node: Node | null | undefined, detector: string, at: Node) => {
        if (!node) return;
        const literal = pythonString(node);
        if (literal !== undefined) reads.push({ name: literal, line: lineOf(at), detector });
        else if (node.type === 'identifier') reads.push({ ref: node.text, line: lineOf(at), detector });
      };
      const firstArgument = (call: Node) => call.childForFieldName('arguments')?.namedChildren.find((c) => c && c.type !== 'comment' && c.type !== 'keyword_argument');
      visit(root, (node) => {
        if (node.type === 'subscript') {
          if (!isEnviron(node.childForFieldName('value'))) return;
          let target: Node = node;
          while (target.parent && PY_TARGETS.has(target.parent.type)) target = target.parent;
          const parent = target.parent;
          if (parent?.type === 'delete_statement') return;
          if (parent?.type === 'assignment' && parent.childForFieldName('left')?.id === target.id) return;
          if (parent?.type === 'for_statement' && parent.childForFieldName('left')?.id === target.id) return;
          key(node.childForFieldName('subscript'), 'python.environ', node);
        } else if (node.type === 'call') {
          const fn = node.childForFieldName('function');
          if (fn?.type === 'attribute' && ['get', 'setdefault', 'pop'].includes(fn.childForFieldName('attribute')?.text ?? '') && isEnviron(fn.childForFieldName('object'))) {
            key(firstArgument(node), 'python.environ', node);
          } else if (isGetenv(fn)) {
            key(firstArgument(node), 'python.getenv', node);
          }
        } else if (node.type === 'comparison_operator') {
          const children = node.children;
          if (children.length === 3 && (children[1]?.type === 'in' || children[1]?.type === 'not in') && isEnviron(children[2] ?? null)) {
            key(children[0], 'python.environ', node);
          }
        }
      }, PY_PASS2);
      return { reads, constants: constants.done() };
    })) ?? { reads: [], constants: new Map() }
  );
}

// ---------------------------------------------------------------------------------------------
// Go (tree-sitter-go)

/** The value of a Go string literal without escapes (`"X"`, `` `X` ``), else undefined. */
function goString(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'raw_string_literal' || node.type === 'interpreted_string_literal') {
    const parts = node.namedChildren;
    if (parts.length === 0) return '';
    if (parts.length === 1 && parts[0]?.type.endsWith('_content')) return parts[0].text;
  }
  return undefined;
}

const GO_PASS1 = new Set(['import_spec', 'const_spec']);
const GO_PASS2 = new Set(['call_expression']);
const GO_READS = new Set(['Getenv', 'LookupEnv']);
const GO_EXPAND = new Set(['ExpandEnv']);
const GO_DOLLAR = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Go reads: `os.Getenv("X")`, `os.LookupEnv("X")`, `syscall.Getenv("X")`, names in a literal
 * given to `os.ExpandEnv`, through import aliases (`import o "os"`) and dot imports, with the name
 * literal or a string constant (`const key = "X"`, or `pkg.Key` from another changed file).
 */
export async function goScan(text: string): Promise<GrammarScan> {
  return (
    (await withTree('go', text, (root) => {
      const packages = new Map<string, string>([['os', 'os'], ['syscall', 'syscall']]);
      const dotImported = new Set<string>();
      const constants = new Constants();
      visit(root, (node) => {
        if (node.type === 'import_spec') {
          const path = goString(node.childForFieldName('path'));
          if (path !== 'os' && path !== 'syscall') return;
          const name = node.childForFieldName('name');
          if (name?.type === 'dot') dotImported.add(path);
          // An alias adds a name; the plain name stays (a file may import "os" both ways).
          else if (name?.type === 'package_identifier') packages.set(name.text, path);
        } else {
          const names = node.childrenForFieldName('name').filter((n): n is Node => !!n);
          const values = node.childForFieldName('value')?.namedChildren ?? [];
          if (names.length !== values.length) return;
          names.forEach((name, i) => {
            const value = goString(values[i]);
            if (value !== undefined) constants.set(name.text, value);
          });
        }
      }, GO_PASS1);

      const reads: PendingRead[] = [];
      visit(root, (node) => {
        const fn = node.childForFieldName('function');
        let pkg: string | undefined;
        let fname: string | undefined;
        if (fn?.type === 'selector_expression') {
          pkg = packages.get(fn.childForFieldName('operand')?.text ?? '');
          fname = fn.childForFieldName('field')?.text;
        } else if (fn?.type === 'identifier' && dotImported.size) {
          pkg = dotImported.has('os') ? 'os' : 'syscall';
          fname = fn.text;
        }
        if (!pkg || !fname) return;
        const arg = node.childForFieldName('arguments')?.namedChildren.find((c) => c && c.type !== 'comment');
        if (!arg) return;
        if (GO_READS.has(fname) && (pkg === 'os' || fname === 'Getenv')) {
          const literal = goString(arg);
          const detector = `go.${fname === 'Getenv' ? 'getenv' : 'lookupenv'}`;
          if (literal !== undefined) reads.push({ name: literal, line: lineOf(node), detector });
          else if (arg.type === 'identifier') reads.push({ ref: arg.text, line: lineOf(node), detector });
          else if (arg.type === 'selector_expression') reads.push({ ref: arg.childForFieldName('field')?.text, line: lineOf(node), detector });
        } else if (pkg === 'os' && GO_EXPAND.has(fname)) {
          const literal = goString(arg);
          for (const m of literal?.matchAll(GO_DOLLAR) ?? []) reads.push({ name: (m[1] ?? m[2])!, line: lineOf(node), detector: 'go.expandenv' });
        }
      }, GO_PASS2);
      return { reads, constants: constants.done() };
    })) ?? { reads: [], constants: new Map() }
  );
}

// ---------------------------------------------------------------------------------------------
// Shell (tree-sitter-bash: sh, bash, and the common ground of zsh and ksh)

const SH_TYPES = new Set(['variable_assignment', 'simple_expansion', 'expansion', 'for_statement', 'command', 'declaration_command', 'arithmetic_expansion', 'function_definition', 'unary_expression']);
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `read` options that take a value. */
const READ_VALUE_OPTIONS = /^-[a-zA-Z]*[adinNptu]$/;
/** Declarations that make a name local when used inside a function. */
const LOCAL_DECLARATIONS = new Set(['local', 'declare', 'typeset']);

interface ShellEvent {
  at: number;
  kind: 'read' | 'assign' | 'local' | 'call';
  name: string;
  line: number;
}

/** The reads, assignments and commands of a stretch of script in the order they happen, function bodies left out. */
function shellEvents(root: Node, inFunction: boolean, functions: Map<string, ShellEvent[]>): ShellEvent[] {
  const events: ShellEvent[] = [];
  const read = (node: Node, name: string) => events.push({ at: node.startIndex, kind: 'read', name, line: lineOf(node) });
  const assign = (at: number, name: string, node: Node, local = false) => events.push({ at, kind: local ? 'local' : 'assign', name, line: lineOf(node) });
  const declaredLocal = (declaration: Node | null) => inFunction && declaration?.type === 'declaration_command' && LOCAL_DECLARATIONS.has(declaration.children[0]?.text ?? '');
  visit(root, (node) => {
    switch (node.type) {
      case 'function_definition': {
        if (node.id === root.id) return;
        const name = node.childForFieldName('name')?.text;
        const body = node.childForFieldName('body');
        // A function's commands happen when it is called, not where it is written.
        if (name && body && !functions.has(name)) functions.set(name, shellEvents(body, true, functions));
        return 'skip';
      }
      case 'variable_assignment': {
        const name = node.childForFieldName('name');
        // `X=1 cmd`: the assignment is the command's environment, not the script's.
        if (name?.type === 'variable_name' && node.parent?.type !== 'command') assign(node.endIndex, name.text, node, declaredLocal(node.parent));
        return;
      }
      case 'simple_expansion': {
        const name = node.namedChildren[0];
        if (name?.type === 'variable_name') read(node, name.text);
        return;
      }
      case 'expansion': {
        if (node.text.startsWith('${!')) return;
        const first = node.namedChildren[0];
        const name = first?.type === 'variable_name' ? first : first?.type === 'subscript' ? first.childForFieldName('name') : null;
        if (name?.type !== 'variable_name') return;
        read(node, name.text);
        if (/^\$\{[A-Za-z_][A-Za-z0-9_]*:?=/.test(node.text)) assign(node.endIndex, name.text, node);
        return;
      }
      case 'arithmetic_expansion': {
        for (const name of node.descendantsOfType('variable_name')) {
          if (!name || !name.parent || name.parent.type === 'simple_expansion' || name.parent.type === 'expansion') continue;
          // `$(( N = 1 ))` assigns N; `N += 1` reads it first.
          const op = name.parent.type === 'binary_expression' && name.parent.childForFieldName('left')?.id === name.id ? name.parent.childForFieldName('operator')?.text ?? name.parent.children[1]?.text : undefined;
          if (op === '=') assign(name.parent.endIndex, name.text, name);
          else {
            read(name, name.text);
            if (op && /^([-+*/%&|^]|<<|>>)=$/.test(op)) assign(name.parent.endIndex, name.text, name);
          }
        }
        return;
      }
      case 'unary_expression': {
        // `[[ -v X ]]` and `[ -v X ]` ask whether X is set: a read of X.
        const operand = node.namedChildren.at(-1);
        if (node.childForFieldName('operator')?.text === '-v' && operand?.type === 'word' && SHELL_NAME.test(operand.text)) read(operand, operand.text);
        return;
      }
      case 'for_statement': {
        const variable = node.childForFieldName('variable');
        if (variable) assign(variable.startIndex, variable.text, node);
        return;
      }
      case 'declaration_command': {
        const keyword = node.children[0]?.text;
        if (keyword === 'export' || keyword === 'readonly') return;
        for (const child of node.namedChildren) if (child?.type === 'variable_name') assign(child.startIndex, child.text, child, declaredLocal(node));
        return;
      }
      case 'command': {
        const name = node.childForFieldName('name')?.text;
        if (!name) return;
        const args = node.childrenForFieldName('argument').filter((a): a is Node => !!a);
        const words = args.filter((a) => a.type === 'word');
        const assignWord = (arg: Node | undefined) => {
          if (arg && /^[A-Za-z_][A-Za-z0-9_]*$/.test(arg.text)) assign(arg.startIndex, arg.text, arg);
        };
        switch (name) {
          case 'test': {
            // `test -v X`, as `[ -v X ]`.
            const at = words.findIndex((w) => w.text === '-v');
            const operand = at >= 0 ? words[at + 1] : undefined;
            if (operand && SHELL_NAME.test(operand.text)) read(operand, operand.text);
            break;
          }
          case 'read':
            // `read [-ers] [-a ARRAY] [-d D] [-n N] [-p P] ... NAME...`: -a names an array it assigns.
            for (let i = 0; i < args.length; i++) {
              const arg = args[i]!;
              if (arg.type === 'word' && arg.text.startsWith('-')) {
                if (/a$/.test(arg.text)) assignWord(args[++i]);
                else if (READ_VALUE_OPTIONS.test(arg.text)) i++;
                continue;
              }
              if (arg.type === 'word') assignWord(arg);
            }
            return;
          case 'printf': {
            const at = words.findIndex((w) => w.text === '-v');
            if (at >= 0) assignWord(words[at + 1]);
            break;
          }
          case 'mapfile':
          case 'readarray': {
            const last = words.at(-1);
            if (last && !last.text.startsWith('-') && words.length > 0) assignWord(last);
            return;
          }
          case 'getopts':
            assignWord(words[1]);
            return;
          case 'let':
            for (const w of words) {
              const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:[-+*/%&|^]|<<|>>)?=/.exec(w.text);
              if (m) assign(w.endIndex, m[1]!, w);
            }
            return;
        }
        // A call of a function of the script (known once the whole file is read): after its arguments.
        events.push({ at: node.endIndex, kind: 'call', name, line: lineOf(node) });
        return;
      }
    }
  }, SH_TYPES);
  // Reads before assignments at the same place: `X=${X:-d}` reads X, then assigns it.
  const rank = { read: 0, call: 1, local: 2, assign: 2 } as const;
  return events.sort((a, b) => a.at - b.at || rank[a.kind] - rank[b.kind]);
}

/**
 * Shell reads: `$X`, `${X}`, `${X:-default}` and every other `${X...}` form, names in `$(( ))`.
 * A name is an input when the script reads it before it assigns it (`[ -z "$X" ] && X=default`,
 * `: "${X:=default}"`); a name it only reads after assigning it (`X=1`, `read X`, `for X in`, a
 * function's `local X`) is internal. A function's reads and assignments happen where it is
 * called, in the order of the calls; a function no code of the file calls (a trap handler, a
 * sourced library's) runs after the file's top level. `X=1 cmd` sets X for that command only, so a
 * later `$X` is an input. Single quotes, quoted here-documents (`<<'EOF'`) and comments expand
 * nothing; `${!X}` is indirect. `[[ -v X ]]`, `[ -v X ]` and `test -v X` read X. Names the shell
 * itself sets (HOME, PATH, IFS, ...) are never inputs.
 */
export async function shellScan(text: string): Promise<GrammarScan> {
  return (
    (await withTree('bash', text, (root) => {
      const functions = new Map<string, ShellEvent[]>();
      const top = shellEvents(root, false, functions);
      const assigned = new Set<string>();
      const expanded = new Set<string>();
      const reads: PendingRead[] = [];
      const run = (events: readonly ShellEvent[], locals: Set<string>) => {
        for (const e of events) {
          if (e.kind === 'read') {
            if (!assigned.has(e.name) && !locals.has(e.name) && ENV_NAME.test(e.name) && !SHELL_BUILTINS.has(e.name)) {
              reads.push({ name: e.name, line: e.line, detector: 'shell.parameter' });
            }
          } else if (e.kind === 'local') locals.add(e.name);
          else if (e.kind === 'assign') {
            if (!locals.has(e.name)) assigned.add(e.name);
          } else if (functions.has(e.name) && !expanded.has(e.name)) {
            // Each function once, at its first call: a later call reads nothing the first did not
            // (names only ever become assigned). Locals are dynamic: the callee sees the caller's.
            expanded.add(e.name);
            run(functions.get(e.name)!, new Set(locals));
          }
        }
      };
      run(top, new Set());
      for (const [name, events] of functions) {
        if (expanded.has(name)) continue;
        expanded.add(name);
        run(events, new Set());
      }
      return { reads, constants: new Map() };
    })) ?? { reads: [], constants: new Map() }
  );
}
