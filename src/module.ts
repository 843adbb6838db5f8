import type * as z from 'zod';
import type { Deps } from './deps-types.ts';
import type { DriftEvent, EventName } from './events.ts';
import type { Logger } from './log.ts';
import type { OnFail } from './policy/types.ts';
import type { Policy } from './policy/schema.ts';

export type Severity = 'error' | 'warning' | 'notice';

/** Something a step found, pointing at a file and line when it can. */
export interface Finding {
  rule: string;
  title: string;
  message: string;
  severity: Severity;
  file?: string;
  line?: number;
  /** Who found it: a detector name, "ai", a check name. */
  source?: string;
  suggestion?: string;
}

/** A side effect a step wants, or did: in dry-run it stays `planned`. */
export interface Action {
  kind: string;
  target: string;
  reason: string;
  status: 'planned' | 'done' | 'failed' | 'skipped';
  detail?: string;
}

/** One decision about one subject, with the reason: the audit trail is made of these. */
export interface Decision {
  subject: string;
  decision: string;
  reason: string;
}

export type StepVerdict = 'pass' | 'fail' | 'error';

export interface StepOutcome {
  verdict: StepVerdict;
  /** A word shown in place of PASS/FAIL where the verdict alone would mislead (an override REFUSED is a pass of the comment job, not of the pull request). */
  label?: string;
  summary: string;
  findings: Finding[];
  actions: Action[];
  decisions: Decision[];
  /** Module-specific facts for reporters and the audit artifact (never secrets). */
  data?: Record<string, unknown>;
}

export interface CommonConfig {
  on_fail: OnFail;
  timeout: string;
}

export interface StepContext<C> {
  runId: string;
  event: DriftEvent;
  config: C & CommonConfig;
  policy: Policy;
  /** Where the policy came from (a path, or path@sha when read from the base branch). */
  policyFile: string;
  dryRun: boolean;
  deps: Deps;
  log: Logger;
  signal: AbortSignal;
  now: Date;
  /** Shared by the plan and apply of one step (clients, listings); never persisted. */
  state: Map<string, unknown>;
}

/** A problem in a module's slice of the policy, its path relative to `modules.<id>`. */
export interface SliceProblem {
  path: readonly (string | number)[];
  message: string;
}

/**
 * The contract every module meets. `plan` reads the world and decides, with no side effects;
 * `apply` performs the planned actions and is only called when the run is not a dry run.
 */
export interface DriftModule<C extends object = object> {
  readonly id: string;
  readonly summary: string;
  readonly events: readonly EventName[];
  readonly config: z.ZodObject<z.ZodRawShape>;
  /** Uses cloud credentials: where OIDC is required, static keys are refused before it runs. */
  readonly cloud?: boolean;
  /** Publishes its own GitHub check (the reporter then leaves it out). */
  readonly ownCheck?: boolean;
  validate?(config: C & CommonConfig): SliceProblem[] | Promise<SliceProblem[]>;
  plan(ctx: StepContext<C>): Promise<StepOutcome>;
  apply?(planned: StepOutcome, ctx: StepContext<C>): Promise<StepOutcome>;
}

/** Modules by id, in a fixed order. */
export type ModuleRegistry = ReadonlyMap<string, DriftModule<any>>;

export function defineModule<C extends object>(module: DriftModule<C>): DriftModule<C> {
  return module;
}
