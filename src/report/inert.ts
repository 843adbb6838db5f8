/**
 * Rendering text that came from outside (a pull request's paths, names, titles, bodies, branch
 * names, comment reasons) so that it is read exactly as written and does nothing else: no HTML,
 * no hidden comment, no link or image, no mention or cross-reference, no table or line break, no
 * workflow command, and no character that hides itself or reorders the text around it.
 *
 * Every writer uses these: terminal and log lines (`inertText`), check-run titles and annotations
 * (`inertText`), Markdown in comments, check-run summaries and the job summary (`inertMarkdown`,
 * `inertCode`).
 */

/**
 * Characters that are not seen but change what is seen: controls (C0, C1, DEL), format characters
 * (zero-width spaces and joiners, bidirectional embeddings, overrides and isolates, the BOM, tag
 * characters, soft hyphens), line and paragraph separators, private-use and unassigned code points.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One hidden character written as a visible escape: `\n`, `\u{202e}`. */
const shown = (c: string) => NAMED[c] ?? `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** Cuts at `max` code points (never inside a surrogate pair) and says so with an ellipsis. */
function cap(text: string, max: number): string {
  const points = Array.from(text);
  return points.length > max ? `${points.slice(0, max).join('')}…` : text;
}

/**
 * One line of plain text: hidden characters made visible as escapes, at most `max` code points.
 * For terminals, logs, check-run titles, annotation titles and messages, commit status descriptions.
 * A line written this way can never start a GitHub Actions workflow command (`::error::`): it has
 * no line break of its own.
 */
export function inertText(text: string, max = 1000): string {
  return cap(String(text).replace(HIDDEN, shown), max);
}

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/**
 * Markdown text that renders as exactly `inertText(text)`: every ASCII punctuation character is
 * backslash-escaped (so no HTML, comment, link, image, emphasis, heading, table cell or autolink
 * can start), and `@` and `#` are followed by a zero-width space entity, as Renovate does, so that
 * GitHub makes no mention and no cross-reference out of them.
 */
export function inertMarkdown(text: string, max = 1000): string {
  return inertText(text, max)
    .replace(PUNCTUATION, (c) => `\\${c}`)
    .replace(/\\([@#])/g, '$1&#8203;');
}

/**
 * A Markdown code span that shows `text` as written (for paths, names, refs): fenced with one more
 * backtick than the longest run inside, so the text cannot close it. In a table cell pass
 * `{ table: true }`: GitHub reads `|` as a cell border even inside code, so it is escaped there.
 */
export function inertCode(text: string, options: { max?: number; table?: boolean } = {}): string {
  let inner = inertText(text, options.max ?? 300);
  if (options.table) inner = inner.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(inner.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = inner.startsWith('`') || inner.endsWith('`') || inner === '' ? ' ' : '';
  return `${fence}${pad}${inner}${pad}${fence}`;
}

/**
 * Text a person typed that DriftGuard must judge (an override command and its reason): Unicode
 * NFKC, then format characters (zero-width, bidirectional), default-ignorable code points (Hangul
 * fillers and the like) and the blank braille pattern removed, so that look-alike commands read as
 * what they look like and invisible text is no text.
 */
export function normaliseTyped(text: string): string {
  return String(text).normalize('NFKC').replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu, '');
}

/** Escapes hidden characters inside an already serialised JSON line; the JSON stays valid and equal. */
export function inertJsonLine(line: string): string {
  return line.replace(/[\p{Cf}\p{Zl}\p{Zp}\p{Co}\u0080-\u009f]/gu, (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
