import type { Deps, ExecResult } from './deps-types.ts';

/** Environment of every Terraform (or OpenTofu) command DriftGuard runs: no prompts, CI output. */
export const TERRAFORM_ENV = { TF_IN_AUTOMATION: '1', TF_INPUT: '0' };

/** The most telling line of Terraform's error output ("Error acquiring the state lock", ...). */
export function firstError(output: string): string {
  const lines = output.split('\n').map((l) => l.replace(/^[│╷╵\s]+/, '').trim()).filter(Boolean);
  return (lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? 'no output').replace(/^Error:\s*/, '');
}

export interface TerraformRun {
  binary: string;
  dir: string;
  timeoutMs: number;
  /** The time limit as the policy wrote it, for messages. */
  timeout: string;
}

/** Runs one Terraform command; a failure comes back as the reason, success as the command's result. */
export async function terraform(deps: Deps, run: TerraformRun, args: string[]): Promise<{ ok: true; result: ExecResult } | { ok: false; reason: string; result: ExecResult }> {
  const result = await deps.exec(run.binary, args, { cwd: run.dir, timeoutMs: run.timeoutMs, env: TERRAFORM_ENV });
  const command = `terraform ${args[0]}`;
  if (result.spawnError) return { ok: false, reason: `cannot run ${run.binary}: ${result.spawnError}`, result };
  if (result.timedOut) return { ok: false, reason: `${command} timed out after ${run.timeout}`, result };
  return { ok: true, result };
}

/** `terraform init`, with the failure's reason. */
export async function terraformInit(deps: Deps, run: TerraformRun): Promise<string | undefined> {
  const init = await terraform(deps, run, ['init', '-input=false', '-no-color']);
  if (!init.ok) return init.reason;
  if (init.result.code !== 0) return `terraform init failed: ${firstError(init.result.stderr || init.result.stdout)}`;
  return undefined;
}
