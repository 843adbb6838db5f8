/** One line event of a unified diff, on the new side of the change. */
export type DiffEvent =
  | { type: 'file'; path: string; oldPath: string | undefined; status: 'added' | 'modified' | 'deleted' | 'renamed'; binary: boolean }
  | { type: 'hunk'; path: string; newStart: number; newCount: number; header: string }
  | { type: 'line'; path: string; kind: 'add' | 'context'; line: number; text: string }
  | { type: 'end' };

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
  const unquoted = unquotePath(path.trim());
  return unquoted.replace(/^[ab]\//, '');
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@(.*)$/;

/**
 * Turns the lines of `git diff` (or a GitHub .diff) into events, one line at a time, so that a
 * diff of any size streams through in bounded memory. Deleted lines are dropped: only what the
 * change adds, and its context, is of interest.
 */
export async function* parseDiff(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<DiffEvent> {
  let current: Extract<DiffEvent, { type: 'file' }> | undefined;
  let pendingHeader = false;
  let newLine = 0;
  let remainingNew = 0;
  let remainingOld = 0;
  let inHunk = false;

  const flushFile = function* () {
    if (current && pendingHeader) yield current;
    pendingHeader = false;
  };

  for await (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (inHunk && (remainingNew > 0 || remainingOld > 0)) {
      const mark = line[0];
      if (mark === '+') {
        yield { type: 'line', path: current!.path, kind: 'add', line: newLine++, text: line.slice(1) };
        remainingNew--;
        continue;
      }
      if (mark === ' ' || line === '') {
        yield { type: 'line', path: current!.path, kind: 'context', line: newLine++, text: line.slice(1) };
        remainingNew--;
        remainingOld--;
        continue;
      }
      if (mark === '-') {
        remainingOld--;
        continue;
      }
      if (mark === '\\') continue;
    }
    if (line.startsWith('\\')) continue;
    inHunk = false;
    if (line.startsWith('diff --git ')) {
      yield* flushFile();
      const m = /^diff --git ("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(line);
      const path = m ? stripPrefix(m[2]!) : line.slice(11).split(' b/').pop() ?? '';
      current = { type: 'file', path, oldPath: m ? stripPrefix(m[1]!) : undefined, status: 'modified', binary: false };
      pendingHeader = true;
      continue;
    }
    if (!current) continue;
    if (line.startsWith('new file mode')) current.status = 'added';
    else if (line.startsWith('deleted file mode')) current.status = 'deleted';
    else if (line.startsWith('rename to ')) {
      current.status = 'renamed';
      current.path = unquotePath(line.slice(10));
    } else if (line.startsWith('Binary files ') || line.startsWith('GIT binary patch')) current.binary = true;
    else if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      if (target === '/dev/null') current.status = 'deleted';
      else current.path = stripPrefix(target);
    } else if (line.startsWith('@@')) {
      const m = HUNK.exec(line);
      if (!m) continue;
      yield* flushFile();
      newLine = Number(m[1]);
      remainingNew = m[2] === undefined ? 1 : Number(m[2]);
      const oldCount = /^@@ -\d+(?:,(\d+))?/.exec(line)?.[1];
      remainingOld = oldCount === undefined ? 1 : Number(oldCount);
      inHunk = true;
      yield { type: 'hunk', path: current.path, newStart: newLine, newCount: remainingNew, header: m[3]?.trim() ?? '' };
    }
  }
  yield* flushFile();
  yield { type: 'end' };
}
