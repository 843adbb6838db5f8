#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep V8's compiled code between runs (in Node's own cache folder, or
// NODE_COMPILE_CACHE), so later starts skip compiling the bundle; older versions have no such cache.
module.enableCompileCache?.();
await import('../dist/cli.js');
