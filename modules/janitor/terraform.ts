import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Deps } from '../../src/deps.ts';
import { durationMs } from '../../src/policy/types.ts';
import { firstError, terraform, terraformCredentialsProblem, terraformInit, type TerraformRun } from '../../src/terraform.ts';
import type { JanitorConfig } from './schema.ts';

export type DestroyOutcome =
  | { ok: true; detail: string }
  /**
   * `refused`: the destroy plan would remove something not proven eligible; nothing was run.
   * `keep`: Terraform could not have the credentials of the proven account (OIDC required); nothing
   * was run, and the environment's resources must be kept by the API phase too.
   */
  | { ok: false; reason: string; refused?: true; keep?: true };

/** One change of a `terraform plan -destroy`, as `terraform show -json` describes it. */
export interface PlannedChange {
  address: string;
  type: string;
  actions: string[];
  /** The resource's attributes before the change (its state). */
  values: Record<string, unknown>;
  /** The resource has provisioners in the configuration (a destroy-time one runs arbitrary code). */
  provisioners: boolean;
}

export interface DestroyHooks {
  /** Why the environment must not be destroyed, or undefined when every planned change is proven safe. */
  check(changes: PlannedChange[]): Promise<string | undefined>;
  /** Just before `terraform apply` of the checked plan, and just after it (the journal). */
  before?(changes: PlannedChange[]): void | Promise<void>;
  after?(outcome: DestroyOutcome): void | Promise<void>;
}

export function workdirOf(settings: JanitorConfig['terraform'], env: string, cwd: string): string {
  return resolve(cwd, settings.workdir.replaceAll('{env}', env));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Addresses (module path without instance keys, then type.name) of configured resources with provisioners. */
function provisioned(module: unknown, path: string, into: Set<string>): Set<string> {
  if (!isObject(module)) return into;
  for (const r of Array.isArray(module.resources) ? module.resources : []) {
    if (isObject(r) && Array.isArray(r.provisioners) && r.provisioners.length > 0) into.add(`${path}${String(r.type)}.${String(r.name)}`);
  }
  if (isObject(module.module_calls)) for (const [name, call] of Object.entries(module.module_calls)) if (isObject(call)) provisioned(call.module, `${path}module.${name}.`, into);
  return into;
}

/** Every managed-resource change of a plan's JSON that is not a no-op. */
export function plannedChanges(plan: unknown): PlannedChange[] {
  if (!isObject(plan) || !Array.isArray(plan.resource_changes)) throw new Error('no resource_changes in the plan JSON');
  const withProvisioners = provisioned(isObject(plan.configuration) ? plan.configuration.root_module : undefined, '', new Set());
  const changes: PlannedChange[] = [];
  for (const rc of plan.resource_changes) {
    if (!isObject(rc) || rc.mode !== 'managed' || !isObject(rc.change)) continue;
    const actions = Array.isArray(rc.change.actions) ? rc.change.actions.map(String) : [];
    if (actions.every((a) => a === 'no-op' || a === 'read' || a === 'forget')) continue;
    const modulePath = typeof rc.module_address === 'string' ? `${rc.module_address.replace(/\[[^\]]*\]/g, '')}.` : '';
    changes.push({
      address: String(rc.address),
      type: String(rc.type),
      actions,
      values: isObject(rc.change.before) ? rc.change.before : {},
      provisioners: withProvisioners.has(`${modulePath}${String(rc.type)}.${String(rc.name)}`),
    });
  }
  return changes;
}

/**
 * Phase 1 for one environment: `terraform init`, `terraform plan -destroy -out=FILE`, then
 * `terraform show -json FILE`; every planned change goes through `hooks.check`, and only when
 * all are proven eligible is that saved plan applied, so Terraform removes nothing that was not
 * checked (a plan gone stale meanwhile is refused by Terraform itself). Any failure (missing
 * directory, locked or broken state, non-zero exit, time-out) or refusal comes back as a reason,
 * and the environment goes to phase 2. `aws` is the proven account and region the environment's
 * resources are in: where OIDC is in use, every command gets that account's OIDC credentials and
 * no other; where they cannot be had, nothing runs and the outcome says `keep`.
 */
export async function destroyEnvironment(env: string, settings: JanitorConfig['terraform'], deps: Deps, hooks: DestroyHooks, aws?: TerraformRun['aws']): Promise<DestroyOutcome> {
  const dir = workdirOf(settings, env, deps.cwd);
  // Every failure before the apply names the step, and that nothing was destroyed.
  const untouched = (reason: string): DestroyOutcome => ({ ok: false, reason: `${reason}; nothing was destroyed` });
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return { ok: false, reason: `no Terraform working directory at ${dir}` };
  const run: TerraformRun = { binary: settings.binary, dir, timeoutMs: durationMs(settings.timeout), timeout: settings.timeout, ...(aws ? { aws } : {}) };
  const noCredentials = await terraformCredentialsProblem(deps, run);
  if (noCredentials) return { ok: false, keep: true, reason: `${noCredentials}; terraform was not run and the environment's resources are kept` };
  const initFailure = await terraformInit(deps, run);
  if (initFailure) return untouched(initFailure);
  const lock = `-lock-timeout=${Math.round(durationMs(settings.lock_timeout) / 1000)}s`;
  const planDir = await mkdtemp(join(tmpdir(), 'dg-destroy-'));
  const planFile = join(planDir, 'destroy.tfplan');
  try {
    const plan = await terraform(deps, run, ['plan', '-destroy', '-input=false', '-no-color', lock, `-out=${planFile}`]);
    if (!plan.ok) return untouched(plan.reason);
    if (plan.result.code !== 0) return untouched(`terraform plan -destroy exited ${plan.result.code}: ${firstError(plan.result.stderr || plan.result.stdout)}`);
    const show = await terraform(deps, run, ['show', '-json', '-no-color', planFile]);
    if (!show.ok) return untouched(show.reason);
    if (show.result.code !== 0) return untouched(`terraform show -json exited ${show.result.code}: ${firstError(show.result.stderr || show.result.stdout)}`);
    let changes: PlannedChange[];
    try {
      changes = plannedChanges(JSON.parse(show.result.stdout));
    } catch (err) {
      return { ok: false, refused: true, reason: `the destroy plan could not be read, so what it removes cannot be checked: ${(err as Error).message}` };
    }
    if (changes.length === 0) return { ok: true, detail: 'nothing to destroy: the state manages no resources' };
    const refusal = await hooks.check(changes);
    if (refusal) return { ok: false, refused: true, reason: refusal };
    await hooks.before?.(changes);
    const outcome = await applyPlan();
    await hooks.after?.(outcome);
    return outcome;
  } finally {
    await rm(planDir, { recursive: true, force: true });
  }

  async function applyPlan(): Promise<DestroyOutcome> {
    const apply = await terraform(deps, run, ['apply', '-input=false', '-no-color', lock, planFile]);
    if (!apply.ok) return { ok: false, reason: `${apply.reason}; the environment may be partly destroyed` };
    if (apply.result.code !== 0) return { ok: false, reason: `terraform apply of the checked destroy plan exited ${apply.result.code}: ${firstError(apply.result.stderr || apply.result.stdout)}; the environment may be partly destroyed` };
    const summary = /Resources: (?:\d+ added, \d+ changed, )?(\d+) destroyed/.exec(apply.result.stdout);
    return { ok: true, detail: summary ? `${summary[1]} resources destroyed` : 'destroy complete' };
  }
}
