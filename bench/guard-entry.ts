// Bench entry: streams a unified diff file through the doc-sync guard and prints counts.
import { createReadStream } from 'node:fs';
import { runGuard } from '../modules/doc-sync/guard.ts';
import { DocSyncConfig } from '../modules/doc-sync/schema.ts';

const file = process.argv[2]!;
const config = DocSyncConfig.parse({});
const started = performance.now();
const result = await runGuard(createReadStream(file, { highWaterMark: 1 << 20 }), { config, rules: [], readHead: async () => undefined, keepChars: 0 });
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ hits: result.hits.length, addedLines: result.addedLines, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
