import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** DriftGuard's npm package: scoped, so that `npx` can never pick up someone else's `driftguard`. */
export const PACKAGE_NAME = '@driftguard/cli';

/** The folder of DriftGuard's own package.json, whether running from dist/ or from the sources. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the driftguard package root');
    dir = parent;
  }
}
