import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The chart library's browser build, shipped next to the bundle (scripts/build.mjs) or read from node_modules. */
export const CHART_FILE = 'chart.umd.min.js';

/**
 * The Chart.js UMD build as text, ready to be inlined in a `<script>`: its source-map comment is
 * dropped (the report has no files beside it) and any `</script` is escaped. Throws when neither
 * the shipped copy nor the installed package can be read.
 */
export function chartLibrary(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const shipped = join(here, 'vendor', CHART_FILE);
  const file = existsSync(shipped) ? shipped : join(dirname(createRequire(import.meta.url).resolve('chart.js')), CHART_FILE);
  return readFileSync(file, 'utf8')
    .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
    .replace(/<\/(script)/gi, '<\\/$1');
}
