/**
 * The JS/TS parser thread: answers `{ id, path, text }` with `{ id, scan }` (jsScan's result) or
 * `{ id, error }`. It compiles the parser and parses a small module of common syntax as soon as it
 * starts, while the main thread is still loading the policy and reading the change, so the first
 * real file is parsed by warm code. See js-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { jsScan } from './js-reads.ts';

const WARM_UP = `import { readFile } from 'node:fs/promises';
import process, { env } from 'node:process';
export interface Options { name?: string; retries: number }
export const KEY = 'WARM_UP';
export default class Reader<T> extends Base implements Thing {
  #cache = new Map<string, T>();
  constructor(private readonly options: Options = { retries: 3 }) { super(); }
  async read(path: string): Promise<T | undefined> {
    const { [KEY]: value, ...rest } = process.env;
    if (env?.DEBUG === '1' || 'X' in env) console.log(\`\${path} \${value ?? rest.HOME}\`);
    for (const [k, v] of Object.entries(rest)) if (typeof v === 'string' && k.length > 2) this.#cache.set(k, v as unknown as T);
    try { return JSON.parse(await readFile(path, 'utf8')) as T; } catch (err) { throw new Error(String(err)); } finally { this.options.retries--; }
  }
}
module.exports = { a: 1, b: [1, 2, ...[3]], c: () => null, d: function () { return this; } };
`;

jsScan('warm-up.ts', WARM_UP);
jsScan('warm-up.js', WARM_UP.replace(/: [A-Za-z<>| ]+(?=[,)=;{])/g, ''));

parentPort?.on('message', (message: { id: number; path: string; text: string }) => {
  try {
    parentPort!.postMessage({ id: message.id, scan: jsScan(message.path, message.text) });
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: (err as Error).message });
  }
});
