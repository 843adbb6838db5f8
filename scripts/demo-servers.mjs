// Runs scripts/demo-servers.ts: bundled on the fly with esbuild (a dev dependency), so the demo
// needs nothing but `npm ci`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const out = new URL('../bench/.out/demo-servers.mjs', import.meta.url).pathname;
mkdirSync(new URL('../bench/.out/', import.meta.url).pathname, { recursive: true });
await build({ entryPoints: [new URL('./demo-servers.ts', import.meta.url).pathname], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
const result = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
process.exit(result.status ?? 1);
