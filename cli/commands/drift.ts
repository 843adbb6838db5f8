import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import type { ParsedArgs } from '../args.ts';
import type { StepContext } from '../../src/module.ts';
import { detect, fingerprint } from '../../modules/drift/plan.ts';
import { baselineRules } from '../../modules/drift/ignore.ts';
import { readBaseline } from '../../modules/drift/runner.ts';
import type { DriftConfig } from '../../modules/drift/schema.ts';
import { cliDeps, loadPolicyFor } from './shared.ts';

/** `driftguard drift baseline`: today's known drift becomes ignore rules in the baseline file. */
export default async function driftCommand(args: ParsedArgs): Promise<number> {
  if (args.positionals[0] !== 'baseline' || args.positionals.length !== 1) {
    throw new DriftGuardError('usage', 'usage: driftguard drift baseline [--policy FILE] [--environment E] [--region R]');
  }
  const loaded = await loadPolicyFor(args, process.env);
  const deps = cliDeps(args, loaded.policy.log.level);

  const config = loaded.policy.modules.drift as unknown as DriftConfig & { on_fail: 'block' | 'warn'; timeout: string };
  if (config.stacks.length === 0) throw new DriftGuardError('usage', 'no stacks configured under modules.drift.stacks');
  const environment = args.values.environment as string | undefined;
  if (environment !== undefined && !config.stacks.some((s) => s.environment === environment)) {
    throw new DriftGuardError('usage', `no stack in environment "${environment}" under modules.drift.stacks (environments: ${[...new Set(config.stacks.map((s) => s.environment))].join(', ')})`);
  }
  const ctx: StepContext<DriftConfig> = {
    runId: 'baseline',
    event: { name: 'dispatch', source: 'cli', actor: deps.env.USER ?? 'unknown', change: { kind: 'none' }, inputs: { ...(args.values.region ? { region: args.values.region } : {}), ...(args.values.environment ? { environment: args.values.environment } : {}) } },
    config,
    policy: loaded.policy,
    policyFile: loaded.file,
    dryRun: true,
    deps,
    log: deps.log,
    signal: new AbortController().signal,
    now: deps.now(),
    state: new Map(),
  };
  const reports = await detect(ctx);
  const failed = reports.filter((r) => r.result.status === 'error');
  if (failed.length > 0) {
    throw new DriftGuardError('run_incomplete', 'cannot baseline: some stacks could not be checked', { details: failed.map((r) => `${fingerprint(r.stack)}: ${(r.result as { reason: string }).reason}`) });
  }
  const path = resolve(deps.cwd, config.baseline);
  const before = await readBaseline(path);
  const added = baselineRules(reports.flatMap((r) => r.kept));
  // Order matters (the last matching rule decides, `!` re-includes): keep the file's rules as they
  // are and append today's after them.
  const rules = [...before, ...added.filter((r) => !before.includes(r))];
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `# Known drift accepted by \`driftguard drift baseline\` on ${deps.now().toISOString()}.\n${stringify({ ignore: rules })}`);
  process.stdout.write(`${config.baseline}: ${rules.length - before.length} new rule(s) from today's drift, ${rules.length} in all\n`);
  return ExitCode.pass;
}
