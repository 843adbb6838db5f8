import { ENV_NAME, SHELL_BUILTINS, type Hit } from './detectors.ts';

export interface Lexicon {
  line?: readonly string[];
  block?: ReadonlyArray<readonly [string, string]>;
  /** Quote characters; a tripled quote opens a long string when `triple` is set. */
  quotes: string;
  triple?: boolean;
  /** Whether a backslash escapes inside strings. */
  escapes?: boolean;
}

export const PYTHON: Lexicon = { line: ['#'], quotes: `'"`, triple: true, escapes: true };
export const C_LIKE: Lexicon = { line: ['//'], block: [['/*', '*/']], quotes: `'"\``, escapes: true };
export const RUBY: Lexicon = { line: ['#'], quotes: `'"`, escapes: true };
export const PHP: Lexicon = { line: ['//', '#'], block: [['/*', '*/']], quotes: `'"`, escapes: true };

/**
 * The code of a file with its comments blanked and the text of its string literals blanked too,
 * unless the literal is a bare name (`"API_URL"`): a read form then still matches on the masked
 * text, while code quoted inside a string (`"os.environ['X']"`) or a comment no longer does.
 * Line breaks and lengths are kept, so line numbers stay right.
 */
export function maskCode(text: string, lex: Lexicon): string {
  const out: string[] = [];
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let i = 0;
  const n = text.length;
  outer: while (i < n) {
    for (const marker of lex.line ?? []) {
      if (text.startsWith(marker, i)) {
        const end = text.indexOf('\n', i);
        const stop = end === -1 ? n : end;
        out.push(blank(text.slice(i, stop)));
        i = stop;
        continue outer;
      }
    }
    for (const [open, close] of lex.block ?? []) {
      if (text.startsWith(open, i)) {
        const end = text.indexOf(close, i + open.length);
        const stop = end === -1 ? n : end + close.length;
        out.push(blank(text.slice(i, stop)));
        i = stop;
        continue outer;
      }
    }
    const c = text[i]!;
    if (lex.quotes.includes(c)) {
      const delim = lex.triple && text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + delim.length;
      while (j < n && !text.startsWith(delim, j)) {
        if (lex.escapes && text[j] === '\\') j++;
        else if (delim.length === 1 && text[j] === '\n' && c !== '`') break;
        j++;
      }
      const body = text.slice(i + delim.length, Math.min(j, n));
      out.push(delim, ENV_NAME.test(body) ? body : blank(body), j < n && text.startsWith(delim, j) ? delim : '');
      i = j < n && text.startsWith(delim, j) ? j + delim.length : j;
      continue;
    }
    out.push(c);
    i++;
  }
  return out.join('');
}

const NAME = '([A-Z_][A-Z0-9_]*)';
const Q = `(['"])${NAME}\\1`;

function scan(masked: string, patterns: ReadonlyArray<{ id: string; re: RegExp; group: number; write?: RegExp }>): Hit[] {
  const hits: Hit[] = [];
  const lines = masked.split('\n');
  lines.forEach((text, index) => {
    for (const { id, re, group, write } of patterns) {
      re.lastIndex = 0;
      for (const match of text.matchAll(re)) {
        if (write && write.test(text.slice(match.index! + match[0].length))) continue;
        const name = match[group];
        if (name) hits.push({ name, line: index + 1, detector: id, kind: 'environment variable' });
      }
    }
  });
  return hits;
}

/** Python: `os.environ[...]`, `.get`/`.setdefault`/`.pop`, `os.getenv`, `from os import environ, getenv`, aliases. */
export function pythonReads(text: string): Hit[] {
  const masked = maskCode(text, PYTHON);
  const aliases = new Set(['environ']);
  const getenvs = new Set(['getenv']);
  for (const m of masked.matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*(?:os\.)?environ\s*$/gm)) aliases.add(m[1]!);
  for (const m of masked.matchAll(/\bfrom\s+os\s+import\s+([^\n]+)/g)) {
    for (const part of m[1]!.replace(/[()]/g, '').split(',')) {
      const [name, alias] = part.trim().split(/\s+as\s+/);
      if (name === 'environ' && alias) aliases.add(alias.trim());
      if (name === 'getenv' && alias) getenvs.add(alias.trim());
    }
  }
  const alias = [...aliases].map((a) => a.replace(/\W/g, '')).join('|');
  const getenv = [...getenvs].map((a) => a.replace(/\W/g, '')).join('|');
  return scan(masked, [
    // `os.environ["X"] = v` assigns, it does not read.
    { id: 'python.environ', re: new RegExp(`(?<![\\w.])(?:os\\.)?(?:${alias})\\[\\s*${Q}\\s*\\]`, 'g'), group: 2, write: /^\s*=(?!=)/ },
    { id: 'python.environ', re: new RegExp(`(?<![\\w.])(?:os\\.)?(?:${alias})\\.(?:get|setdefault|pop)\\(\\s*${Q}`, 'g'), group: 2 },
    { id: 'python.getenv', re: new RegExp(`(?<![\\w.])(?:os\\.)?(?:${getenv})\\(\\s*${Q}`, 'g'), group: 2 },
    { id: 'python.environ', re: new RegExp(`${Q}\\s+(?:not\\s+)?in\\s+(?:os\\.)?(?:${alias})\\b`, 'g'), group: 2 },
  ]);
}

/** Go: `os.Getenv`, `os.LookupEnv`. */
export function goReads(text: string): Hit[] {
  return scan(maskCode(text, C_LIKE), [{ id: 'go.getenv', re: new RegExp(`\\bos\\.(?:Getenv|LookupEnv)\\(\\s*"${NAME}"`, 'g'), group: 1 }]);
}

const SHELL_SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+(?:-\S+\s+)*)?(?:ba|z|k|da|a)?sh\b/;
export const isShellScript = (firstLine: string) => SHELL_SHEBANG.test(firstLine);

/** Blanks shell comments and single-quoted text (neither expands), keeping double quotes. */
function maskShell(text: string): string {
  const out: string[] = [];
  let i = 0;
  let double = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      out.push(text.slice(i, i + 2).replace(/[^\n]/g, ' '));
      i += 2;
      continue;
    }
    if (c === '"') double = !double;
    else if (!double && c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end === -1 ? text.length : end + 1;
      out.push(text.slice(i, stop).replace(/[^\n]/g, ' '));
      i = stop;
      continue;
    } else if (!double && c === '#' && (i === 0 || /[\s;|&(]/.test(text[i - 1]!)) && text[i - 1] !== '$') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out.push(text.slice(i, stop).replace(/[^\n]/g, ' '));
      i = stop;
      continue;
    }
    out.push(c);
    i++;
  }
  return out.join('');
}

const SHELL_REF = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const SHELL_ASSIGN = /(?:^|[;&|({]\s*|\b(?:export|local|declare|readonly|typeset)\s+(?:-\w+\s+)*)([A-Za-z_][A-Za-z0-9_]*)\+?=/g;
const SHELL_LOOP = /\b(?:read(?:\s+-\w+(?:\s+\S+)?)*|for|select)\s+([A-Za-z_][A-Za-z0-9_]*)/g;
const STATEMENT_END = /;|&&|\|\||\||$/;

/**
 * Shell: `$X`, `${X}`, `${X:-default}`. A name is an input when the script reads it before it
 * assigns it (`[ -z "$X" ] && X=default`); a name it only reads after assigning it is internal.
 * Environment builtins (HOME, PATH, ...) are never inputs.
 */
export function shellReads(text: string): Hit[] {
  const masked = maskShell(text);
  const assigned = new Set<string>();
  const hits: Hit[] = [];
  masked.split('\n').forEach((line, index) => {
    const events: Array<{ at: number; name: string; read: boolean }> = [];
    for (const m of line.matchAll(SHELL_ASSIGN)) {
      // The value is read before the assignment takes effect, at the end of the statement.
      const start = m.index! + m[0].length;
      const end = STATEMENT_END.exec(line.slice(start));
      events.push({ at: start + (end?.index ?? line.length), name: m[1]!, read: false });
    }
    for (const m of line.matchAll(SHELL_LOOP)) events.push({ at: m.index!, name: m[1]!, read: false });
    for (const m of line.matchAll(SHELL_REF)) events.push({ at: m.index!, name: (m[1] ?? m[2])!, read: true });
    events.sort((a, b) => a.at - b.at || Number(a.read) - Number(b.read));
    for (const e of events) {
      if (!e.read) assigned.add(e.name);
      else if (!assigned.has(e.name) && ENV_NAME.test(e.name) && !SHELL_BUILTINS.has(e.name)) {
        hits.push({ name: e.name, line: index + 1, detector: 'shell.parameter', kind: 'environment variable' });
      }
    }
  });
  return hits;
}
