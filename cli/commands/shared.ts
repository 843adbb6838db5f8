import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createDeps, type Deps } from '../../src/deps.ts';
import { DriftGuardError } from '../../src/errors.ts';
import type { ParsedArgs } from '../args.ts';
import { loadPolicy, type LoadedPolicy } from '../../src/policy/load.ts';
import { FORMATS, type Format } from '../../src/report/format.ts';
import { parseShard } from '../../src/shard.ts';
import { REGISTRY } from '../../modules/registry.ts';

export const DEFAULT_POLICY = 'policy.yaml';

/**
 * The policy file a command uses: `--policy`, else `DRIFTGUARD_POLICY`, else the nearest
 * `policy.yaml` from the current folder up to the repository root (the folder holding `.git`),
 * as a path relative to the current folder. Falls back to `policy.yaml` when there is none, so
 * the error names the file expected.
 */
export function policyPath(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): string {
  const given = (args.values.policy as string | undefined) ?? (env.DRIFTGUARD_POLICY || undefined);
  if (given !== undefined) return given;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, DEFAULT_POLICY))) return relative(cwd, join(dir, DEFAULT_POLICY)) || DEFAULT_POLICY;
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return DEFAULT_POLICY;
  }
}

/**
 * Loads and validates the policy for a command; a policy found in a parent folder is named on
 * stderr, so the user knows which file decided, and the command runs from that folder.
 * @throws DriftGuardError('usage') when there is no policy file; policy errors from loadPolicy
 */
export async function loadPolicyFor(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): Promise<LoadedPolicy> {
  const file = policyPath(args, env);
  if (file === DEFAULT_POLICY && !existsSync(resolve(file))) {
    throw new DriftGuardError('usage', `no ${DEFAULT_POLICY} in ${process.cwd()} or its parents up to the repository root; pass --policy FILE (or set DRIFTGUARD_POLICY), or run "driftguard init"`);
  }
  if (file !== DEFAULT_POLICY && !args.values.policy && !env.DRIFTGUARD_POLICY) {
    // Found in a parent folder: the run happens from there, so the policy's relative paths (docs,
    // audit folder, workdirs) mean what they mean next to it.
    const folder = dirname(resolve(file));
    if (!args.values.quiet) process.stderr.write(`driftguard: using the policy ${resolve(file)} (running from ${folder})\n`);
    process.chdir(folder);
    return loadPolicy(DEFAULT_POLICY, REGISTRY);
  }
  return loadPolicy(file, REGISTRY);
}

export function parseFormat(value: unknown): Format {
  if (value === undefined) return 'text';
  if (typeof value === 'string' && (FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new DriftGuardError('usage', `--format must be one of ${FORMATS.join(', ')}, got "${String(value)}"`);
}

/** True when running in CI (GitHub Actions sets both CI and GITHUB_ACTIONS). */
export const inCi = (env: Readonly<Record<string, string | undefined>>) => Boolean(env.CI && env.CI !== 'false' && env.CI !== '0') || env.GITHUB_ACTIONS === 'true';

/**
 * How a command logs: human lines on a terminal (at `warn` and above unless asked), JSON lines
 * in CI, when stderr is not a terminal, or with `--log-format json`. `--quiet` keeps errors only.
 * The level is `--log-level`, else DRIFTGUARD_LOG_LEVEL, else `error` with `--quiet`, else `warn`
 * for human lines, else the policy's `log.level` (default `info`).
 */
export function logSettings(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>, policyLevel?: string, stderrIsTty = process.stderr.isTTY === true): { level: string; pretty: boolean } {
  const format = (args.values['log-format'] as string | undefined) ?? (env.DRIFTGUARD_LOG_FORMAT || undefined) ?? (stderrIsTty && !inCi(env) ? 'pretty' : 'json');
  const pretty = format === 'pretty';
  const level = (args.values['log-level'] as string | undefined) ?? (env.DRIFTGUARD_LOG_LEVEL || undefined) ?? (args.values.quiet ? 'error' : pretty ? 'warn' : (policyLevel ?? 'info'));
  return { level, pretty };
}

/** Colour on the text report: never with NO_COLOR, always with FORCE_COLOR (not 0), else on a terminal that is not dumb. */
export function useColor(env: Readonly<Record<string, string | undefined>>, stdoutIsTty = process.stdout.isTTY === true): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stdoutIsTty && env.TERM !== 'dumb';
}

/** The dependencies of a CLI command: logs as `logSettings` says, the report styled as `useColor` and `--quiet` say. */
export function cliDeps(args: ParsedArgs, level?: string): Deps {
  const settings = logSettings(args, process.env, level);
  return createDeps({ logLevel: settings.level, pretty: settings.pretty, style: { color: useColor(process.env), quiet: args.values.quiet === true } });
}

/** Checks a --shard value ("i/n", 0 <= i < n) before anything runs. @throws DriftGuardError('usage') naming the value */
export function checkShardOption(value: string | undefined): void {
  try {
    parseShard(value);
  } catch (err) {
    throw new DriftGuardError('usage', (err as Error).message);
  }
}
