#!/usr/bin/env node
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { COMMAND_PROFILES, loadWithCodeCache } from './code-cache.js';

// Node 22.1 and later keep V8's compiled code between runs for the files they load themselves (the
// parser thread, packages required from node_modules); the CLI bundle has its own cache below.
module.enableCompileCache?.();

// A pull request check parses the changed JS/TS files: the parser thread starts before anything
// else, so that it compiles the parser on another core while this one loads the policy and reads
// the change (modules/doc-sync/js-pool.ts; files are parsed here when it cannot start).
const args = process.argv.slice(2);
const at = args.findIndex((a) => a === '--event' || a.startsWith('--event='));
const event = at === -1 ? undefined : args[at].startsWith('--event=') ? args[at].slice('--event='.length) : args[at + 1];
const prCheck = args[0] === 'run' && (event !== undefined ? /^pr_(opened|synchronize|reopened)$/.test(event) : /^pull_request/.test(process.env.GITHUB_EVENT_NAME ?? ''));
if (prCheck) {
  try {
    const { Worker } = await import('node:worker_threads');
    const slot = Symbol.for('driftguard.jsParserThread');
    const worker = new Worker(new URL('../dist/js-worker.js', import.meta.url));
    worker.unref();
    worker.on('error', () => undefined);
    // A thread that stops (a missing file, an error) is forgotten: files are parsed here instead.
    worker.once('exit', () => {
      if (globalThis[slot] === worker) globalThis[slot] = undefined;
    });
    globalThis[slot] = worker;
  } catch {
    // parsed on the main thread
  }
}

// Each command keeps the compiled code of what it runs (bin/code-cache.js).
const profile = prCheck ? 'run-pr' : COMMAND_PROFILES.includes(args[0]) ? args[0] : 'other';
loadWithCodeCache(fileURLToPath(new URL('../dist/cli.cjs', import.meta.url)), { profile });
