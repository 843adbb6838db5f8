import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Deps } from '../../src/deps.ts';
import { DriftGuardError } from '../../src/errors.ts';
import { durationMs } from '../../src/policy/types.ts';
import { firstError, terraform, terraformInit, type TerraformRun } from '../../src/terraform.ts';
import { classify, type DriftItem } from './classify.ts';
import { compileRules } from './ignore.ts';
import type { DriftConfig, Stack } from './schema.ts';

export type StackResult = { status: 'clean' } | { status: 'drift'; items: DriftItem[] } | { status: 'error'; reason: string };

/**
 * `terraform plan -refresh-only -detailed-exitcode -out=...` then `terraform show -json`. Exit 2 is
 * confirmed against the JSON; exit 1, a crash or a time-out is an error, never drift.
 */
export async function checkStack(stack: Stack, config: DriftConfig, deps: Deps): Promise<StackResult> {
  const dir = resolve(deps.cwd, stack.dir);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) return { status: 'error', reason: `no working directory at ${dir}` };
  // Where OIDC is in use for AWS, Terraform gets the default role's credentials and no other source.
  const region = /^[a-z]{2}(-[a-z]+)+-\d$/.test(stack.region) ? stack.region : undefined;
  const run: TerraformRun = { binary: config.binary, dir, timeoutMs: durationMs(config.plan_timeout), timeout: config.plan_timeout, aws: region ? { region } : {} };
  const initFailure = await terraformInit(deps, run);
  if (initFailure) return { status: 'error', reason: initFailure };
  const scratch = await mkdtemp(join(tmpdir(), 'dg-drift-'));
  try {
    const planFile = join(scratch, 'drift.tfplan');
    const plan = await terraform(deps, run, [
      'plan',
      '-refresh-only',
      '-detailed-exitcode',
      '-input=false',
      '-no-color',
      `-lock-timeout=${Math.round(durationMs(config.lock_timeout) / 1000)}s`,
      `-out=${planFile}`,
    ]);
    if (!plan.ok) return { status: 'error', reason: plan.reason };
    if (plan.result.code !== 0 && plan.result.code !== 2) return { status: 'error', reason: `terraform plan exited ${plan.result.code}: ${firstError(plan.result.stderr || plan.result.stdout)}` };
    const show = await terraform(deps, run, ['show', '-json', '-no-color', planFile]);
    if (!show.ok) return { status: 'error', reason: show.reason };
    if (show.result.code !== 0) return { status: 'error', reason: `terraform show -json failed: ${firstError(show.result.stderr)}` };
    let items: DriftItem[];
    try {
      items = classify(JSON.parse(show.result.stdout));
    } catch (err) {
      return { status: 'error', reason: `cannot read the plan JSON: ${(err as Error).message}` };
    }
    // The JSON decides: exit 2 with no resource drift (outputs only) is clean.
    return items.length > 0 ? { status: 'drift', items } : { status: 'clean' };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The accepted drift: the baseline file's `ignore` list. A missing file is an empty baseline; a
 * file that cannot be read, is not YAML, is not a mapping with an `ignore` list, or holds a rule
 * that cannot be read is an error naming the file (and the line of the rule).
 */
export async function readBaseline(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DriftGuardError('policy_invalid', `${path}: the drift baseline cannot be read: ${(err as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new DriftGuardError('policy_invalid', `${path}${at ? `:${at.line}:${at.col}` : ''}: the drift baseline is not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS() as { ignore?: unknown } | null;
  if (value !== null && (typeof value !== 'object' || (value.ignore !== undefined && !Array.isArray(value.ignore)))) {
    throw new DriftGuardError('policy_invalid', `${path}: expected a mapping with an "ignore" list`);
  }
  const rules = Array.isArray(value?.ignore) ? value.ignore.map(String) : [];
  const counter = new LineCounter();
  const located = parseDocument(text, { lineCounter: counter });
  const list = located.get('ignore', true) as { items?: Array<{ range?: [number, number, number] }> } | undefined;
  rules.forEach((rule, i) => {
    try {
      compileRules([rule]);
    } catch (err) {
      const offset = list?.items?.[i]?.range?.[0];
      const pos = offset === undefined ? undefined : counter.linePos(offset);
      throw new DriftGuardError('policy_invalid', `${path}${pos ? `:${pos.line}:${pos.col}` : ''}: ${(err as Error).message}`);
    }
  });
  return rules;
}
