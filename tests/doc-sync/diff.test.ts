import { describe, expect, it } from 'vitest';
import { forEachLine, parseDiffLines, type DiffEvent } from '../../modules/doc-sync/diff.ts';

async function events(text: string): Promise<DiffEvent[]> {
  return parseDiffLines(text.split('\n'));
}

describe('unified diff parser', () => {
  it('tracks new-side line numbers across hunks and drops deleted lines', async () => {
    const diff = [
      'diff --git a/src/a.ts b/src/a.ts',
      'index 1111111..2222222 100644',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -1,3 +1,3 @@ function top()',
      ' keep',
      '-gone',
      '+added at 2',
      ' keep 3',
      '@@ -10,0 +11,2 @@',
      '+eleven',
      '+twelve',
      '\\ No newline at end of file',
    ].join('\n');
    const lines = (await events(diff)).filter((e) => e.type === 'line');
    expect(lines).toEqual([
      { type: 'line', path: 'src/a.ts', kind: 'context', line: 1, text: 'keep' },
      { type: 'line', path: 'src/a.ts', kind: 'add', line: 2, text: 'added at 2' },
      { type: 'line', path: 'src/a.ts', kind: 'context', line: 3, text: 'keep 3' },
      { type: 'line', path: 'src/a.ts', kind: 'add', line: 11, text: 'eleven' },
      { type: 'line', path: 'src/a.ts', kind: 'add', line: 12, text: 'twelve' },
    ]);
  });

  it('knows added, deleted, renamed and binary files, and quoted paths', async () => {
    const diff = [
      'diff --git a/new.txt b/new.txt',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1 @@',
      '+hello',
      'diff --git a/old.txt b/old.txt',
      'deleted file mode 100644',
      '--- a/old.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/from.ts b/to.ts',
      'similarity index 90%',
      'rename from from.ts',
      'rename to to.ts',
      'diff --git a/img.png b/img.png',
      'Binary files a/img.png and b/img.png differ',
      'diff --git "a/caf\\303\\251 x.ts" "b/caf\\303\\251 x.ts"',
      '--- "a/caf\\303\\251 x.ts"',
      '+++ "b/caf\\303\\251 x.ts"',
      '@@ -1 +1 @@',
      '-a',
      '+b',
    ].join('\n');
    const files = (await events(diff)).filter((e) => e.type === 'file');
    expect(files.map((f) => f.type === 'file' && [f.path, f.status, f.binary])).toEqual([
      ['new.txt', 'added', false],
      ['old.txt', 'deleted', false],
      ['to.ts', 'renamed', false],
      ['img.png', 'modified', true],
      ['café x.ts', 'modified', false],
    ]);
  });

  it('handles CRLF diffs and lines that look like headers inside hunks', async () => {
    const diff = ['diff --git a/x b/x', '--- a/x', '+++ b/x', '@@ -1,1 +1,2 @@', ' one\r', '+--- not a header\r', ''].join('\n');
    const lines = (await events(diff)).filter((e) => e.type === 'line');
    expect(lines.map((l) => l.type === 'line' && l.text)).toEqual(['one', '--- not a header']);
  });

  it('splits chunked input into lines whatever the chunk boundaries, including multi-byte characters', async () => {
    const text = 'alpha\nbé\u00e9ta\n\ngamma';
    const bytes = Buffer.from(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const lines: string[] = [];
    await forEachLine(chunks(), (l) => lines.push(l));
    expect(lines).toEqual(['alpha', 'bé\u00e9ta', '', 'gamma']);
  });
});
