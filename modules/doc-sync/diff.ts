/** One event of a unified diff, on the new side of the change. */
export type DiffEvent =
  | { type: 'file'; path: string; oldPath: string | undefined; status: 'added' | 'modified' | 'deleted' | 'renamed'; binary: boolean }
  | { type: 'hunk'; path: string; newStart: number; newCount: number; header: string }
  | { type: 'line'; path: string; kind: 'add' | 'context'; line: number; text: string };

/** Undoes git's C-style quoting of unusual paths ("a/caf\303\251"). */
export function unquotePath(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  const inner = raw.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = inner[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[next] ?? next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function stripPrefix(path: string): string {
  return unquotePath(path.trim()).replace(/^[ab]\//, '');
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;
const DIFF_GIT = /^diff --git ("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/;

/**
 * A push parser for `git diff` output: feed it lines, it calls `emit` synchronously for each event.
 * It holds one file header at a time, so a diff of any size goes through in bounded memory.
 * Deleted lines are dropped: only what the change adds, and its context, is of interest.
 */
export class DiffParser {
  private current: Extract<DiffEvent, { type: 'file' }> | undefined;
  private headerPending = false;
  private newLine = 0;
  private remainingNew = 0;
  private remainingOld = 0;

  constructor(private readonly emit: (event: DiffEvent) => void) {}

  line(raw: string): void {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (this.remainingNew > 0 || this.remainingOld > 0) {
      const mark = line.charCodeAt(0);
      if (mark === 43 /* + */) {
        this.emit({ type: 'line', path: this.current!.path, kind: 'add', line: this.newLine++, text: line.slice(1) });
        this.remainingNew--;
        return;
      }
      if (mark === 32 /* space */ || line === '') {
        this.emit({ type: 'line', path: this.current!.path, kind: 'context', line: this.newLine++, text: line.slice(1) });
        this.remainingNew--;
        this.remainingOld--;
        return;
      }
      if (mark === 45 /* - */) {
        this.remainingOld--;
        return;
      }
      if (mark === 92 /* \ */) return;
      this.remainingNew = this.remainingOld = 0;
    }
    if (line.startsWith('\\')) return;
    if (line.startsWith('diff --git ')) {
      this.flushHeader();
      const m = DIFF_GIT.exec(line);
      const path = m ? stripPrefix(m[2]!) : line.slice(11).split(' b/').pop() ?? '';
      this.current = { type: 'file', path, oldPath: m ? stripPrefix(m[1]!) : undefined, status: 'modified', binary: false };
      this.headerPending = true;
      return;
    }
    const file = this.current;
    if (!file) return;
    if (line.startsWith('new file mode')) file.status = 'added';
    else if (line.startsWith('deleted file mode')) file.status = 'deleted';
    else if (line.startsWith('rename to ')) {
      file.status = 'renamed';
      file.path = unquotePath(line.slice(10));
    } else if (line.startsWith('Binary files ') || line.startsWith('GIT binary patch')) file.binary = true;
    else if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      if (target === '/dev/null') file.status = 'deleted';
      else file.path = stripPrefix(target);
    } else if (line.startsWith('@@')) {
      const m = HUNK.exec(line);
      if (!m) return;
      this.flushHeader();
      this.remainingOld = m[1] === undefined ? 1 : Number(m[1]);
      this.newLine = Number(m[2]);
      this.remainingNew = m[3] === undefined ? 1 : Number(m[3]);
      this.emit({ type: 'hunk', path: file.path, newStart: this.newLine, newCount: this.remainingNew, header: m[4]?.trim() ?? '' });
    }
  }

  end(): void {
    this.flushHeader();
  }

  private flushHeader(): void {
    if (this.current && this.headerPending) this.emit(this.current);
    this.headerPending = false;
  }
}

/** Splits a stream of text chunks into lines, without holding more than one partial line. */
export async function forEachLine(chunks: AsyncIterable<string | Buffer>, onLine: (line: string) => void): Promise<void> {
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest !== '') onLine(rest);
}

/** Parses a whole diff given as lines (tests and small inputs). */
export function parseDiffLines(lines: Iterable<string>): DiffEvent[] {
  const events: DiffEvent[] = [];
  const parser = new DiffParser((e) => events.push(e));
  for (const line of lines) parser.line(line);
  parser.end();
  return events;
}
