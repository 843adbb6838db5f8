import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{e as r}from"./chunk-XAYUHMNW.js";import"./chunk-V7SOLST5.js";import"./chunk-YG2NS7FC.js";import{parentPort as t}from"node:worker_threads";var s=`import { readFile } from 'node:fs/promises';
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
`;r("warm-up.ts",s);r("warm-up.js",s.replace(/: [A-Za-z<>| ]+(?=[,)=;{])/g,""));t?.on("message",e=>{try{t.postMessage({id:e.id,scan:r(e.path,e.text)})}catch(n){t.postMessage({id:e.id,error:n.message})}});
