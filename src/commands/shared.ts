import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDeps, type Deps } from '../deps.ts';
import { DriftGuardError } from '../errors.ts';
import type { ParsedArgs } from '../main.ts';
import { loadPolicy, type LoadedPolicy } from '../policy/load.ts';
import { FORMATS, type Format } from '../report/format.ts';
import { REGISTRY } from '../../modules/registry.ts';

export const DEFAULT_POLICY = 'policy.yaml';

export function policyPath(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): string {
  return (args.values.policy as string | undefined) ?? env.DRIFTGUARD_POLICY ?? DEFAULT_POLICY;
}

export async function loadPolicyFor(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): Promise<LoadedPolicy> {
  const file = policyPath(args, env);
  if (file === DEFAULT_POLICY && !args.values.policy) {
    await access(resolve(file)).catch(() => {
      throw new DriftGuardError('usage', `no ${DEFAULT_POLICY} in ${process.cwd()}; pass --policy FILE (or set DRIFTGUARD_POLICY)`);
    });
  }
  return loadPolicy(file, REGISTRY);
}

export function parseFormat(value: unknown): Format {
  if (value === undefined) return 'text';
  if (typeof value === 'string' && (FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new DriftGuardError('usage', `--format must be one of ${FORMATS.join(', ')}, got "${String(value)}"`);
}

export function cliDeps(args: ParsedArgs, level?: string): Deps {
  return createDeps({ logLevel: (args.values['log-level'] as string | undefined) ?? level, pretty: process.stderr.isTTY === true });
}
