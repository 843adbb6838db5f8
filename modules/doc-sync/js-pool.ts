import type { Worker } from 'node:worker_threads';
import type { GrammarScan } from './grammar-reads.ts';

/**
 * Where the entry point (bin/driftguard.js, the Action) leaves the parser thread it started early
 * for a pull request check: a `Worker` running js-worker.js.
 */
export const PARSER_THREAD = Symbol.for('driftguard.jsParserThread');

interface Pending {
  resolve(scan: GrammarScan | undefined): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  next: number;
  dead: boolean;
}

let thread: Thread | undefined;
const parsed = { thread: 0, main: 0 };

/** How many JS/TS files this process has parsed on the parser thread and on the main thread. */
export function parserCounts(): { thread: number; main: number } {
  return { ...parsed };
}

/** The parser thread the entry point started, wired up on first use; undefined when there is none or it failed. */
function adopt(): Thread | undefined {
  const worker = (globalThis as Record<symbol, Worker | undefined>)[PARSER_THREAD];
  if (thread && thread.worker === worker) return thread.dead || worker.threadId === -1 ? undefined : thread;
  // No thread, or one that stopped before its first file (its exit event is gone): parse here.
  if (!worker || worker.threadId === -1) return undefined;
  const t: Thread = { worker, pending: new Map(), next: 0, dead: false };
  thread = t;
  const fail = (why: string) => {
    t.dead = true;
    // Every file still waiting is parsed on this thread instead.
    for (const p of t.pending.values()) p.reject(new Error(why));
    t.pending.clear();
  };
  worker.on('message', (m: { id: number; scan?: GrammarScan; error?: string }) => {
    const p = t.pending.get(m.id);
    if (!p) return;
    t.pending.delete(m.id);
    // Idle, the thread does not keep the process alive; a file waiting for its answer does.
    if (t.pending.size === 0) worker.unref();
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.scan);
  });
  worker.on('error', (err) => fail(`the parser thread failed: ${err.message}`));
  worker.on('exit', (code) => fail(`the parser thread exited (code ${code})`));
  return t;
}

/**
 * Starts the parser thread (`workerFile`: the bundled js-worker.js) for a command that will parse
 * changed JS/TS files, and leaves it where `jsScanAnywhere` finds it. Never throws: without a
 * thread, files are parsed on the main thread.
 */
export async function startParserThread(workerFile: URL): Promise<void> {
  try {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(workerFile);
    worker.unref();
    worker.on('error', () => undefined);
    const slot = globalThis as Record<symbol, Worker | undefined>;
    worker.once('exit', () => {
      if (slot[PARSER_THREAD] === worker) slot[PARSER_THREAD] = undefined;
    });
    slot[PARSER_THREAD] = worker;
  } catch {
    // parsed on the main thread
  }
}

/**
 * jsScan (js-reads.ts) of one JS/TS file: `{ reads, constants }`, or undefined when no grammar
 * accepts the text. On the parser thread when the entry point started one (the parser is then
 * compiled on another core while this one loads the policy and reads the change), else here,
 * loading the parser on first use. The answer is the same either way: the thread runs the same
 * function, and a thread that fails or exits hands every file, the pending ones included, back to
 * this thread.
 */
export async function jsScanAnywhere(path: string, text: string): Promise<GrammarScan | undefined> {
  const t = adopt();
  if (t) {
    try {
      const scan = await new Promise<GrammarScan | undefined>((resolve, reject) => {
        const id = t.next++;
        t.pending.set(id, { resolve, reject });
        t.worker.ref();
        t.worker.postMessage({ id, path, text });
      });
      parsed.thread++;
      return scan;
    } catch {
      // parsed on this thread instead
    }
  }
  const { jsScan } = await import('./js-reads.ts');
  parsed.main++;
  return jsScan(path, text);
}

/**
 * Ends the parser thread, if one was started, once a command is done: a step that timed out may
 * have left a file waiting for its answer, which would otherwise keep the process alive.
 */
export function stopParserThread(): void {
  const worker = (globalThis as Record<symbol, Worker | undefined>)[PARSER_THREAD];
  if (!worker) return;
  if (thread) {
    thread.dead = true;
    thread.pending.clear();
  }
  void worker.terminate();
}
