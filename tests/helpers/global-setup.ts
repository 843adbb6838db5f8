import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Builds the CLI once before any test (the CLI tests run the bundle exactly as users do), and
 * gives the whole run one temporary folder of its own: every test worker, and every process a
 * test starts, makes its temporary files under it (TMPDIR), and it is removed when the run ends,
 * so a run leaves nothing behind in the system's temporary folder, even when a test fails.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const previous = process.env.TMPDIR;
  const mine = mkdtempSync(join(tmpdir(), 'driftguard-tests-'));
  process.env.TMPDIR = mine;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(mine, { recursive: true, force: true });
  };
}
