import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { durationMs } from '../../src/policy/types.ts';
import type { JanitorConfig } from './schema.ts';

export type DestroyOutcome = { ok: true; detail: string } | { ok: false; reason: string };

/** The most telling line of Terraform's error output ("Error acquiring the state lock", ...). */
function firstError(output: string): string {
  const lines = output.split('\n').map((l) => l.replace(/^[│╷╵\s]+/, '').trim()).filter(Boolean);
  return (lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? 'no output').replace(/^Error:\s*/, '');
}

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
  const timeoutMs = durationMs(settings.timeout);
  const env_ = { TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  const init = await deps.exec(settings.binary, ['init', '-input=false', '-no-color'], { cwd: dir, timeoutMs, env: env_ });
  if (init.spawnError) return { ok: false, reason: `cannot run ${settings.binary}: ${init.spawnError}` };
  if (init.timedOut) return { ok: false, reason: `terraform init timed out after ${settings.timeout}` };
  if (init.code !== 0) return { ok: false, reason: `terraform init failed: ${firstError(init.stderr || init.stdout)}` };
  const destroy = await deps.exec(
    settings.binary,
    ['destroy', '-auto-approve', '-input=false', '-no-color', `-lock-timeout=${Math.round(durationMs(settings.lock_timeout) / 1000)}s`],
    { cwd: dir, timeoutMs, env: env_ },
  );
  if (destroy.timedOut) return { ok: false, reason: `terraform destroy timed out after ${settings.timeout}` };
  if (destroy.code !== 0) return { ok: false, reason: `terraform destroy exited ${destroy.code}: ${firstError(destroy.stderr || destroy.stdout)}` };
  const summary = /Destroy complete! Resources: (\d+) destroyed\./.exec(destroy.stdout);
  return { ok: true, detail: summary ? `${summary[1]} resources destroyed` : 'destroy complete' };
}
