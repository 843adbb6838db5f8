/**
 * Resource addresses and attribute paths as Terraform writes them, split into segments, so that a
 * map key holding `/` or `.` (`tags["kubernetes.io/role/internal-elb"]`) is one segment, and
 * ignore rules are matched segment by segment, never against a flattened string.
 *
 * Syntax of a path or rule: segments joined by `.`, each a name (`tags`, `aws_instance`, `web`), an
 * index (`[0]`), or a quoted key (`["kubernetes.io/role"]`, with `\"`, `\\`, `\*`, `\?` escapes).
 * In rules, `*` and `?` glob within one segment (a quoted key included), `[*]` is any index or key,
 * and `**` is any number of segments.
 */

export type PathSegment = string | number;

/** One segment of a rule: a glob over a name or key, an index, any one segment, or any run of segments. */
export type RuleSegment = { kind: 'glob'; regex: RegExp; text: string } | { kind: 'index'; value: number } | { kind: 'any' } | { kind: 'anyRun' };

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const quote = (key: string) => `["${key.replace(/[\\"*?]/g, (c) => `\\${c}`)}"]`;

/** Terraform-style text of a path: `tags["a/b"]`, `ingress`, `module.net.aws_subnet.private[1]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  if (segments.length === 0) return '(value)';
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : NAME.test(s) ? `${i === 0 ? '' : '.'}${s}` : quote(s))).join('');
}

function globRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) out += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/** Splits a path or rule into its segments; throws `Error` naming the position of a syntax error. */
function tokens(text: string): Array<{ kind: 'name' | 'quoted'; text: string } | { kind: 'index'; value: number } | { kind: 'star' }> {
  const out: ReturnType<typeof tokens> = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at character ${i + 1} of ${JSON.stringify(text)}`);
  };
  while (i < text.length) {
    if (out.length > 0) {
      if (text[i] === '.') {
        i++;
        if (text[i] === '[' || i >= text.length) fail('expected a name after "."');
      } else if (text[i] !== '[') fail('expected "." or "["');
    }
    if (text[i] === '[') {
      i++;
      if (text[i] === '"') {
        let key = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) {
            key += text[i]! + text[i + 1]!;
            i += 2;
          } else key += text[i++]!;
        }
        if (text[i] !== '"') fail('unterminated quoted key');
        i++;
        out.push({ kind: 'quoted', text: key });
      } else if (text[i] === '*') {
        i++;
        out.push({ kind: 'star' });
      } else {
        const m = /^\d+/.exec(text.slice(i));
        if (!m) fail('expected an index, "*" or a quoted key inside "[ ]"');
        i += m![0].length;
        out.push({ kind: 'index', value: Number(m![0]) });
      }
      if (text[i] !== ']') fail('expected "]"');
      i++;
      continue;
    }
    const m = /^[A-Za-z0-9_*?-]+/.exec(text.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    out.push({ kind: 'name', text: m![0] });
  }
  if (out.length === 0) fail('empty');
  return out;
}

/** A path as Terraform prints it (an address, an attribute path), as segments. Throws on bad syntax. */
export function parsePath(text: string): PathSegment[] {
  return tokens(text).map((t) => {
    if (t.kind === 'index') return t.value;
    if (t.kind === 'star') throw new Error(`"[*]" is only for rules: ${JSON.stringify(text)}`);
    return t.kind === 'quoted' ? t.text.replace(/\\(.)/g, '$1') : t.text;
  });
}

/** A rule's segments (without its leading `!`). Throws `Error` on bad syntax. */
export function parseRule(text: string): RuleSegment[] {
  return tokens(text).map((t): RuleSegment => {
    if (t.kind === 'index') return { kind: 'index', value: t.value };
    if (t.kind === 'star') return { kind: 'any' };
    if (t.kind === 'name' && t.text === '**') return { kind: 'anyRun' };
    return { kind: 'glob', regex: globRegex(t.text), text: t.text };
  });
}

function segmentMatches(rule: RuleSegment, segment: PathSegment): boolean {
  if (rule.kind === 'any') return true;
  if (rule.kind === 'index') return segment === rule.value;
  if (rule.kind === 'glob') return typeof segment === 'string' ? rule.regex.test(segment) : rule.text === '*' || rule.regex.test(String(segment));
  return false;
}

/** True when the rule matches the start of `target` (a rule on a resource covers its attributes; one on an attribute, what is inside it). */
export function matchesPrefix(rule: readonly RuleSegment[], target: readonly PathSegment[], i = 0, j = 0): boolean {
  if (i === rule.length) return true;
  const r = rule[i]!;
  if (r.kind === 'anyRun') {
    for (let k = j; k <= target.length; k++) if (matchesPrefix(rule, target, i + 1, k)) return true;
    return false;
  }
  return j < target.length && segmentMatches(r, target[j]!) && matchesPrefix(rule, target, i + 1, j + 1);
}

/**
 * A resource address as an exact rule: Terraform's own text, with `for_each` keys kept in brackets
 * and their glob characters escaped, so it matches that one instance only.
 */
export function exactAddress(address: string): string {
  try {
    return tokens(address)
      .map((t, i) => (t.kind === 'index' ? `[${t.value}]` : t.kind === 'quoted' ? quote(t.text.replace(/\\(.)/g, '$1')) : t.kind === 'star' ? '[*]' : `${i === 0 ? '' : '.'}${t.text}`))
      .join('');
  } catch {
    return address;
  }
}

/** The exact rule for a path: every glob character in its keys escaped, so it matches that path only. */
export function exactRule(segments: readonly PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : NAME.test(s) ? `${i === 0 ? '' : '.'}${s}` : quote(s))).join('');
}
