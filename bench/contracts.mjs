// Usage: node bench/contracts.mjs [--json]. Builds bench/contracts-entry.ts and runs it (offline).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, 'bench', '.out'), { recursive: true });
const outfile = join(root, 'bench', '.out', 'contracts.mjs');
await build({ entryPoints: [join(root, 'bench', 'contracts-entry.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', packages: 'external',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
// The bundle reads eval/contracts relative to its own place: point it at the corpus.
const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env: { ...process.env, DRIFTGUARD_CONTRACTS_CORPUS: join(root, 'eval', 'contracts') } });
process.exit(run.status ?? 1);
