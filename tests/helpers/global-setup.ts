import { execFileSync } from 'node:child_process';

/** The CLI tests run the bundled CLI exactly as users do, so build it once before any test. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
