import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * Reads many files at commits through one `git cat-file --batch` process instead of two git
 * processes per file: whole-file reading of a large change is dominated by process start-up
 * otherwise. Requests are answered in order; `close()` ends the process.
 */
export class GitBatchReader {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly queue: Array<(text: string | undefined) => void> = [];
  private failed = false;

  constructor(private readonly cwd: string) {}

  read(commit: string, path: string): Promise<string | undefined> | undefined {
    if (this.failed || /[\n\r]/.test(path)) return undefined;
    const child = this.start();
    return new Promise((resolve) => {
      this.queue.push(resolve);
      child.stdin.write(`${commit}:${path}\n`);
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    const fail = () => {
      this.failed = true;
      this.child = undefined;
      for (const resolve of this.queue.splice(0)) resolve(undefined);
    };
    child.on('error', fail);
    child.on('close', fail);
    child.stdin.on('error', fail);
    this.child = child;
    return child;
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const nl = this.buffer.indexOf(10);
      if (nl === -1) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      const [, type, sizeText] = header.split(' ');
      if (sizeText === undefined) {
        // "<object> missing" or "ambiguous": no such file at that commit.
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift()!(undefined);
        continue;
      }
      const size = Number(sizeText);
      if (this.buffer.length < nl + 1 + size + 1) return;
      const body = this.buffer.subarray(nl + 1, nl + 1 + size);
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.queue.shift()!(type === 'blob' ? body.toString('utf8') : undefined);
    }
  }
}
