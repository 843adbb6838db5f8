import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { durationMs } from '../../src/policy/types.ts';
import { firstError, terraform, terraformInit } from '../../src/terraform.ts';
import type { JanitorConfig } from './schema.ts';

export type DestroyOutcome = { ok: true; detail: string } | { ok: false; reason: string };

export function workdirOf(settings: JanitorConfig['terraform'], env: string, cwd: string): string {
  return resolve(cwd, settings.workdir.replaceAll('{env}', env));
}

/**
 * Phase 1 for one environment: `terraform init` then `terraform destroy`, each with the policy's
 * time limit. Any failure (missing directory, locked or broken state, non-zero exit, time-out)
 * comes back as a reason, and the environment goes to phase 2.
 */
export async function destroyEnvironment(env: string, settings: JanitorConfig['terraform'], deps: Deps): Promise<DestroyOutcome> {
  const dir = workdirOf(settings, env, deps.cwd);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return { ok: false, reason: `no Terraform working directory at ${dir}` };
  const run = { binary: settings.binary, dir, timeoutMs: durationMs(settings.timeout), timeout: settings.timeout };
  const initFailure = await terraformInit(deps, run);
  if (initFailure) return { ok: false, reason: initFailure };
  const destroy = await terraform(deps, run, ['destroy', '-auto-approve', '-input=false', '-no-color', `-lock-timeout=${Math.round(durationMs(settings.lock_timeout) / 1000)}s`]);
  if (!destroy.ok) return { ok: false, reason: destroy.reason };
  if (destroy.result.code !== 0) return { ok: false, reason: `terraform destroy exited ${destroy.result.code}: ${firstError(destroy.result.stderr || destroy.result.stdout)}` };
  const summary = /Destroy complete! Resources: (\d+) destroyed\./.exec(destroy.result.stdout);
  return { ok: true, detail: summary ? `${summary[1]} resources destroyed` : 'destroy complete' };
}
