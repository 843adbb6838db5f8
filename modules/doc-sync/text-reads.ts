import { ENV_NAME } from './detectors.ts';

export interface Lexicon {
  line?: readonly string[];
  block?: ReadonlyArray<readonly [string, string]>;
  /** Quote characters; a tripled quote opens a long string when `triple` is set. */
  quotes: string;
  triple?: boolean;
  /** Whether a backslash escapes inside strings. */
  escapes?: boolean;
}

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

const SHELL_SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+(?:-\S+\s+)*)?(?:ba|z|k|da|a)?sh\b/;
export const isShellScript = (firstLine: string) => SHELL_SHEBANG.test(firstLine);

