// Bundles the CLI into dist/ with esbuild. The core (yaml, zod, xstate, pino) is bundled so that
// start-up reads a handful of files instead of hundreds; cloud SDKs and the AI client stay
// external and are only imported by the commands that need them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = ['@aws-sdk/*', '@smithy/*', '@azure/*', '@google-cloud/*', '@google/genai', '@octokit/*', 'octokit'];

const forAction = process.argv.includes('--action');

if (forAction) {
  // The GitHub Action ships self-contained files (every dependency bundled, split so that cloud
  // SDKs load only when a command needs them): no install step at run time.
  rmSync(new URL('../action/dist', import.meta.url), { recursive: true, force: true });
  await build({
    entryPoints: { index: 'src/action.ts' },
    outdir: 'action/dist',
    splitting: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __dgCreateRequire } from 'node:module'; const require = __dgCreateRequire(import.meta.url);" },
  });
  process.exit(0);
}

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __dgCreateRequire } from 'node:module'; const require = __dgCreateRequire(import.meta.url);" },
});
