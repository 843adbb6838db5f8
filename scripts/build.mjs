// Bundles the CLI into dist/ with esbuild: one CommonJS file (dist/cli.cjs) holding the core
// (yaml, zod, xstate, pino) and DriftGuard itself, so that start-up reads one file whose compiled
// code bin/driftguard.js keeps between runs. Cloud SDKs, the AI client, the tree-sitter grammars
// and a few large packages only some commands use stay in node_modules and are required when
// needed. The GitHub client (Octokit) is bundled: the package does not depend on it, so installing
// DriftGuard pulls none of its dependencies (some of which declare Node 22 while working on 20).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const external = ['@aws-sdk/*', '@smithy/*', '@azure/*', '@google-cloud/*', '@google/genai', '@vscode/tree-sitter-wasm'];

/**
 * zod re-exports all of its ~50 message locales (`z.locales`, about half of its bundled size)
 * whether they are used or not; DriftGuard writes its own messages and never reads them. Each
 * start-up would parse and compile them: the bundle gets only English, the one zod configures.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    // The module's path holds no folder of this machine: a chunk's name hashes the paths of its
    // inputs, and the committed Action bundle must be the same wherever it is built.
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: 'en', namespace: 'zod-locales', pluginData: { dir: join(dirname(args.importer), '..', 'locales') } } : undefined,
    );
    // `z.locales` keeps its shape, with English alone in it.
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: 'export { default as en } from "./en.js";', resolveDir: args.pluginData.dir }));
  },
};

/**
 * pino requires its transport machinery (thread-stream, a worker thread per transport) and its
 * file destination (sonic-boom) when it loads, though DriftGuard uses neither: every logger writes
 * to a stream of DriftGuard's own (src/log.ts). The bundle gets a stand-in that refuses if it is
 * ever used, so start-up does not load or run them.
 */
const pinoWithoutTransports = {
  name: 'pino-without-transports',
  setup(b) {
    b.onResolve({ filter: /^(thread-stream|sonic-boom)$/ }, (args) => (/[\\/]pino[\\/]/.test(args.importer) ? { path: args.path, namespace: 'pino-unused' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'pino-unused' }, (args) => ({
      contents: `module.exports = function ${args.path === 'thread-stream' ? 'ThreadStream' : 'SonicBoom'}() { throw new Error('pino ${args.path === 'thread-stream' ? 'transports are' : 'file destinations are'} not part of the DriftGuard bundle'); };`,
      loader: 'js',
    }));
  },
};

const forAction = process.argv.includes('--action');

/** `driftguard report` inlines the chart library's browser build into its HTML: ship that file beside the bundle. */
function copyChartLibrary(outdir) {
  const chart = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
  mkdirSync(join(outdir, 'vendor'), { recursive: true });
  cpSync(chart, join(outdir, 'vendor', 'chart.umd.min.js'));
}

if (forAction) {
  // The GitHub Action ships self-contained files (every dependency bundled, split so that cloud
  // SDKs load only when a command needs them): no install step at run time.
  rmSync(new URL('../action/dist', import.meta.url), { recursive: true, force: true });
  await build({
    entryPoints: { index: 'cli/action.ts', 'js-worker': 'modules/doc-sync/js-worker.ts' },
    outdir: 'action/dist',
    splitting: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    plugins: [zodEnglishOnly, pinoWithoutTransports],
    // CommonJS code bundled into ES modules still finds `require` and `__filename` (tree-sitter's
    // runtime asks for its own file name before it loads its WebAssembly).
    define: { __filename: '__dgFilename' },
    banner: {
      js: "import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);",
    },
  });
  // The doc-sync guard's grammars (WebAssembly) are loaded from files, not bundled: ship the ones it uses.
  const wasm = dirname(createRequire(import.meta.url).resolve('@vscode/tree-sitter-wasm/wasm/tree-sitter.wasm'));
  mkdirSync('action/dist/tree-sitter', { recursive: true });
  for (const file of ['tree-sitter.wasm', 'tree-sitter-python.wasm', 'tree-sitter-bash.wasm', 'tree-sitter-go.wasm']) cpSync(join(wasm, file), join('action/dist/tree-sitter', file));
  copyChartLibrary('action/dist');
  process.exit(0);
}

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
// The CLI is one CommonJS file, so that bin/driftguard.js can keep V8's compiled code for it between
// runs (bin/code-cache.js): Node 20 keeps no such cache for ES modules. What only some commands
// need and is large stays in node_modules, required when used: the cloud SDKs and the AI client,
// the JS parser (a pull request check parses on its own thread, dist/js-worker.js), RE2, the
// $ref resolver and TOML.
await build({
  entryPoints: { cli: 'cli/index.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: [...external, '@babel/parser', 're2js', 'google-auth-library', '@apidevtools/json-schema-ref-parser', 'smol-toml'],
  logLevel: 'warning',
  plugins: [zodEnglishOnly, pinoWithoutTransports],
  // The bundle's own location stands for import.meta.url: the files it reads beside itself
  // (tree-sitter grammars, the chart library, the parser thread) are in dist/ either way.
  define: { 'import.meta.url': '__dgImportMetaUrl' },
  // import() becomes require(): code V8 reads back from its cache has no way to import.
  supported: { 'dynamic-import': false },
  banner: { js: "const __dgImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
const cli = readFileSync('dist/cli.cjs', 'utf8');
if (/\bimport\s*\(/.test(cli)) throw new Error('dist/cli.cjs holds an import(): bin/code-cache.js cannot run it from the cache');
// A package left in node_modules is required as CommonJS with Node's rules, where a default import
// is the whole module.exports object: the sources must import such packages by name.
for (const [, binding, pkg] of cli.matchAll(/\b(import_[\w$]+) = (?:__toESM\()?require\("([^".][^"]*)"\)/g)) {
  if (cli.includes(`${binding}.default`)) throw new Error(`dist/cli.cjs uses the default export of ${pkg}, which is required from node_modules: import it by name`);
}
// The parser thread is an ES module of its own, with the parser bundled in.
await build({
  entryPoints: { 'js-worker': 'modules/doc-sync/js-worker.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __dgCreateRequire } from 'node:module'; const require = __dgCreateRequire(import.meta.url);" },
});
copyChartLibrary('dist');
