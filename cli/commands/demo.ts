import { cp, mkdtemp, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ParsedArgs } from '../args.ts';
import { createDeps } from '../../src/deps.ts';
import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import { Git } from '../../src/git.ts';
import { intake } from '../../src/intake.ts';
import { packageRoot } from '../../src/package-root.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { executeRun } from '../../src/run.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { parseFormat } from './shared.ts';

const IDENTITY = ['-c', 'user.name=DriftGuard Demo', '-c', 'user.email=demo@example.invalid', '-c', 'commit.gpgsign=false'];

/** Builds the example repository: base/ on main, pr/ on a branch, each one commit. */
export async function buildDemoRepository(dir: string): Promise<void> {
  const scenario = join(packageRoot(), 'examples', 'doc-sync-demo');
  const git = new Git(dir);
  await mkdir(dir, { recursive: true });
  await git.run(['init', '--quiet', '--initial-branch=main']);
  await cp(join(scenario, 'base'), dir, { recursive: true });
  await cp(join(scenario, 'policy.yaml'), join(dir, 'policy.yaml'));
  await git.run(['add', '-A']);
  await git.run([...IDENTITY, 'commit', '--quiet', '-m', 'payments-api: initial version']);
  await git.run(['checkout', '--quiet', '-b', 'feature/region-and-retries']);
  await cp(join(scenario, 'pr'), dir, { recursive: true });
  await git.run(['add', '-A']);
  await git.run([...IDENTITY, 'commit', '--quiet', '-m', 'Add payment region and retry budget']);
}

export default async function demo(args: ParsedArgs): Promise<number> {
  const format = parseFormat(args.values.format);
  const wanted = args.values.dir as string | undefined;
  const dir = wanted ? resolve(wanted) : await mkdtemp(join(tmpdir(), 'driftguard-demo-'));
  if (wanted && (await readdir(dir).catch(() => [])).length > 0) {
    throw new DriftGuardError('usage', `--dir ${wanted} is not empty; the demo builds its repository in a new or empty folder`);
  }
  await buildDemoRepository(dir);
  const deps = createDeps({ cwd: dir, logLevel: (args.values['log-level'] as string | undefined) ?? 'error', pretty: process.stderr.isTTY === true });
  const loaded = await loadPolicy(join(dir, 'policy.yaml'), REGISTRY);
  const event = await intake({ event: 'pr_opened', source: 'cli', git: deps.git, env: deps.env, base: 'main', head: 'HEAD' });
  if (format === 'text') {
    deps.out(`Example repository: ${dir}\nPull request: main...feature/region-and-retries (adds PAYMENTS_REGION, documented, and RETRY_BUDGET_MS, not documented)\n\n`);
  }
  const { result } = await executeRun({ loaded, registry: REGISTRY, event, deps, forceDryRun: true, format });
  if (format === 'text') {
    deps.out(`\nOn a real pull request this verdict exits ${result.exitCode}. Try it yourself:\n  cd ${dir} && node ${join(packageRoot(), 'bin', 'driftguard.js')} run --event pr_opened --base main --dry-run\n`);
  }
  return result.outcome === 'error' ? result.exitCode : ExitCode.pass;
}
