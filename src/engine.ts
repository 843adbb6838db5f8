import { assign, createActor, fromPromise, setup, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { Deps } from './deps-types.ts';
import { describeError, ExitCode } from './errors.ts';
import type { DriftEvent } from './events.ts';
import type { CommonConfig, ModuleRegistry, StepContext, StepOutcome, StepVerdict } from './module.ts';
import { durationMs } from './policy/types.ts';
import type { Policy } from './policy/schema.ts';

/** Decisions a step logs one line each at info; the rest go to debug and the audit artifact. */
export const DECISIONS_LOGGED = 20;

export type StepEffect = 'pass' | 'block' | 'warn' | 'error' | 'overridden';

/** A valid /driftguard override for the commit under check. */
export interface OverrideGrant {
  by: string;
  reason: string;
  commentId: number;
}

export interface StepRecord {
  module: string;
  verdict: StepVerdict;
  /** What the verdict means for the run, after the module's on_fail. */
  effect: StepEffect;
  onFail: 'block' | 'warn';
  startedAt: string;
  durationMs: number;
  outcome: StepOutcome;
}

export type RunOutcome = 'pass' | 'blocked' | 'error';

export interface RunResult {
  runId: string;
  event: DriftEvent;
  dryRun: boolean;
  outcome: RunOutcome;
  exitCode: number;
  reason: string;
  steps: StepRecord[];
  override?: OverrideGrant;
  /** States the event went through, in order. */
  path: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export interface StepRequest {
  module: string;
  index: number;
}

/** What the machine's named actors do; the CLI wires real ones, `graph` needs none. */
export interface EngineRuntime {
  runStep(request: StepRequest, signal: AbortSignal): Promise<StepOutcome>;
  /** Looks for a valid override when a step blocks (rebuilt from GitHub each run). */
  findOverride(steps: readonly StepRecord[]): Promise<OverrideGrant | undefined>;
  /** Reports the decided run; the runtime knows the run's id, clock and path, the machine does not. */
  report(decided: MachineContext): Promise<void>;
}

export interface MachineContext {
  event: DriftEvent;
  steps: StepRecord[];
  current?: { module: string; startedAt: number };
  override?: OverrideGrant;
  overrideError?: string;
  outcome?: { outcome: RunOutcome; exitCode: number; reason: string };
  reportError?: string;
}

interface MachineInput {
  event: DriftEvent;
}

function stepConfig(policy: Policy, module: string): CommonConfig {
  const slice = policy.modules[module];
  return { on_fail: slice?.on_fail ?? 'block', timeout: slice?.timeout ?? '10m' };
}

function record(policy: Policy, context: MachineContext, module: string, outcome: StepOutcome): StepRecord {
  const onFail = stepConfig(policy, module).on_fail;
  const started = context.current?.startedAt ?? Date.now();
  const effect: StepEffect = outcome.verdict === 'pass' ? 'pass' : outcome.verdict === 'error' ? 'error' : onFail === 'block' ? 'block' : 'warn';
  return { module, verdict: outcome.verdict, effect, onFail, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, outcome };
}

function errorOutcome(summary: string): StepOutcome {
  return { verdict: 'error', summary, findings: [], actions: [], decisions: [] };
}

/**
 * The run's verdict: any error means it could not complete; else any blocking failure blocks,
 * unless a valid override covers it (an override never covers an error).
 */
export function decide(steps: readonly StepRecord[], override?: OverrideGrant): { outcome: RunOutcome; exitCode: number; reason: string; steps: StepRecord[] } {
  const decided = override ? steps.map((s) => (s.effect === 'block' ? { ...s, effect: 'overridden' as const } : s)) : [...steps];
  const errors = decided.filter((s) => s.effect === 'error');
  if (errors.length > 0) {
    return { outcome: 'error', exitCode: ExitCode.incomplete, reason: `${errors.map((s) => s.module).join(', ')} could not complete`, steps: decided };
  }
  const blocking = decided.filter((s) => s.effect === 'block');
  if (blocking.length > 0) {
    return { outcome: 'blocked', exitCode: ExitCode.blocked, reason: `blocked by ${blocking.map((s) => s.module).join(', ')}`, steps: decided };
  }
  const overridden = decided.filter((s) => s.effect === 'overridden');
  if (overridden.length > 0 && override) {
    return { outcome: 'pass', exitCode: ExitCode.pass, reason: `${overridden.map((s) => s.module).join(', ')} overridden by @${override.by}: ${override.reason}`, steps: decided };
  }
  const warned = steps.filter((s) => s.effect === 'warn');
  if (warned.length > 0) return { outcome: 'pass', exitCode: ExitCode.pass, reason: `passed with warnings from ${warned.map((s) => s.module).join(', ')}`, steps: decided };
  return { outcome: 'pass', exitCode: ExitCode.pass, reason: steps.length === 0 ? 'no steps for this event' : 'every step passed', steps: decided };
}

const unwired: EngineRuntime = {
  runStep: () => Promise.reject(new Error('engine runtime not wired')),
  findOverride: () => Promise.resolve(undefined),
  report: () => Promise.resolve(),
};

/**
 * Builds the state machine from the policy: routing picks the event's workflow, each workflow
 * step invokes one module as an actor (with its timeout as a delayed transition), then the run
 * is decided and reported. The same machine is drawn by `driftguard graph`.
 */
export function buildMachine(policy: Policy, registry: ModuleRegistry, runtime: EngineRuntime = unwired) {
  const workflows = Object.entries(policy.workflows).filter(([, steps]) => steps.length > 0);
  for (const [event, steps] of workflows) {
    for (const step of steps) {
      if (!registry.has(step)) throw new Error(`workflow ${event} names unknown module ${step}; the policy should have been rejected at load`);
    }
  }

  const logic = setup({
    types: { context: {} as MachineContext, input: {} as MachineInput },
    actors: {
      runStep: fromPromise<StepOutcome, StepRequest>(({ input, signal }) => runtime.runStep(input, signal)),
      findOverride: fromPromise<OverrideGrant | undefined, readonly StepRecord[]>(({ input }) => runtime.findOverride(input)),
      report: fromPromise<void, MachineContext>(({ input }) => runtime.report(input)),
    },
    guards: {
      isEvent: ({ context }, params: { event: string }) => context.event.name === params.event,
      someStepBlocks: ({ context }) => context.steps.some((s) => s.effect === 'block'),
    },
    actions: {
      startStep: assign({ current: (_, params: { module: string }) => ({ module: params.module, startedAt: Date.now() }) }),
      recordDone: assign({
        steps: ({ context, event }, params: { module: string }) => [
          ...context.steps,
          record(policy, context, params.module, (event as unknown as { output: StepOutcome }).output),
        ],
      }),
      recordError: assign({
        steps: ({ context, event }, params: { module: string }) => [
          ...context.steps,
          record(policy, context, params.module, errorOutcome(`${params.module} failed: ${describeError((event as unknown as { error: unknown }).error)}`)),
        ],
      }),
      recordTimeout: assign({
        steps: ({ context }, params: { module: string; timeout: string }) => [
          ...context.steps,
          record(policy, context, params.module, errorOutcome(`${params.module} timed out after ${params.timeout}`)),
        ],
      }),
      recordOverride: assign({ override: ({ event }) => (event as unknown as { output: OverrideGrant | undefined }).output }),
      recordOverrideError: assign({ overrideError: ({ event }) => describeError((event as unknown as { error: unknown }).error) }),
      decide: assign(({ context }) => {
        const { steps, ...outcome } = decide(context.steps, context.override);
        return { steps, outcome };
      }),
      recordReportError: assign({ reportError: ({ event }) => describeError((event as unknown as { error: unknown }).error) }),
    },
  });

  const workflowStates: Record<string, object> = {};
  for (const [event, steps] of workflows) {
    const states: Record<string, object> = {};
    steps.forEach((module, index) => {
      const next = index + 1 < steps.length ? steps[index + 1]! : 'finished';
      const { timeout } = stepConfig(policy, module);
      states[module] = {
        entry: { type: 'startStep', params: { module } },
        invoke: {
          src: 'runStep',
          input: { module, index },
          onDone: { target: next, actions: { type: 'recordDone', params: { module } } },
          onError: { target: next, actions: { type: 'recordError', params: { module } } },
        },
        after: { [durationMs(timeout)]: { target: next, actions: { type: 'recordTimeout', params: { module, timeout } } } },
      };
    });
    states.finished = { type: 'final' };
    workflowStates[event] = {
      initial: steps[0],
      states,
      onDone: [{ guard: 'someStepBlocks', target: '#driftguard.overriding' }, { target: '#driftguard.deciding' }],
    };
  }

  return logic.createMachine({
    id: 'driftguard',
    initial: 'routing',
    context: ({ input }: { input: MachineInput }) => ({ event: input.event, steps: [] }),
    states: {
      routing: {
        always: [
          ...workflows.map(([event]) => ({ guard: { type: 'isEvent' as const, params: { event } }, target: event })),
          { target: 'deciding' },
        ],
      },
      ...workflowStates,
      overriding: {
        invoke: {
          src: 'findOverride',
          input: ({ context }: { context: MachineContext }) => context.steps,
          onDone: { target: 'deciding', actions: 'recordOverride' },
          onError: { target: 'deciding', actions: 'recordOverrideError' },
        },
      },
      deciding: { entry: 'decide', always: 'reporting' },
      reporting: {
        invoke: {
          src: 'report',
          input: ({ context }: { context: MachineContext }) => context,
          onDone: 'done',
          onError: { target: 'failed', actions: 'recordReportError' },
        },
      },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
  } as never) as unknown as AnyStateMachine;
}

function resultOf(context: MachineContext, path: string[], started: number, dryRun: boolean, runId: string): RunResult {
  const { steps, ...outcome } = context.outcome ? { ...context.outcome, steps: context.steps } : decide(context.steps, context.override);
  const finished = Date.now();
  return {
    runId,
    event: context.event,
    dryRun,
    ...outcome,
    steps,
    ...(context.override && steps.some((s) => s.effect === 'overridden') ? { override: context.override } : {}),
    path,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
  };
}

function stateName(snapshot: SnapshotFrom<AnyStateMachine>): string {
  const value = snapshot.value as unknown;
  if (typeof value === 'string') return value;
  const [outer, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
  return typeof inner === 'string' ? `${outer}.${inner}` : outer;
}

export interface RunOptions {
  policy: Policy;
  policyFile?: string;
  registry: ModuleRegistry;
  event: DriftEvent;
  dryRun: boolean;
  deps: Deps;
  runId: string;
  report?: (result: RunResult) => Promise<void>;
  findOverride?: (steps: readonly StepRecord[]) => Promise<OverrideGrant | undefined>;
}

/** Runs one event through the machine built from the policy. Never throws for a module's failure. */
export async function runEngine(options: RunOptions): Promise<RunResult> {
  const { policy, registry, event, dryRun, deps, runId } = options;
  const started = Date.now();
  const path: string[] = [];
  const log = deps.log.child({ runId, event: event.name, actor: event.actor, dryRun });

  const runtime: EngineRuntime = {
    async runStep({ module: id }, signal) {
      const module = registry.get(id)!;
      const config = policy.modules[id] ?? { on_fail: 'block', timeout: '10m' };
      const stepLog = log.child({ module: id });
      const ctx: StepContext<object> = { runId, event, config: config as never, policy, policyFile: (options.policyFile ?? 'policy.yaml').replace(/@[0-9a-f]+$/, ''), dryRun, deps, log: stepLog, signal, now: deps.now(), state: new Map() };
      stepLog.info({ sha: event.pr?.headSha ?? event.sha }, 'step started');
      const planned = await module.plan(ctx);
      const outcome = !dryRun && module.apply && planned.actions.some((a) => a.status === 'planned') ? await module.apply(planned, ctx) : planned;
      // A step's first decisions one line each at info, the rest at debug (the audit artifact has
      // them all), and the counts on the step's summary line: a 10,000-finding run is not 10,000 lines.
      const counts: Record<string, number> = {};
      outcome.decisions.forEach((decision, i) => {
        counts[decision.decision] = (counts[decision.decision] ?? 0) + 1;
        stepLog[i < DECISIONS_LOGGED ? 'info' : 'debug']({ decision: decision.decision, subject: decision.subject, why: decision.reason }, 'decision');
      });
      const unlogged = Math.max(0, outcome.decisions.length - DECISIONS_LOGGED);
      stepLog.info({ verdict: outcome.verdict, findings: outcome.findings.length, decisions: counts, ...(unlogged ? { decisionsAtDebug: unlogged } : {}) }, outcome.summary);
      return outcome;
    },
    async findOverride(steps) {
      const grant = await options.findOverride?.(steps);
      if (grant) log.info({ decision: 'overridden', by: grant.by, why: grant.reason, commentId: grant.commentId }, 'override in force');
      return grant;
    },
    async report(decided) {
      await options.report?.(resultOf(decided, [...path], started, dryRun, runId));
    },
  };

  const visit = (snapshot: SnapshotFrom<AnyStateMachine>) => {
    const name = stateName(snapshot);
    if (!name.endsWith('.finished') && path[path.length - 1] !== name) path.push(name);
  };
  const machine = buildMachine(policy, registry, runtime);
  path.push(String(machine.config.initial));
  const actor = createActor(machine, {
    input: { event },
    // Microsteps include the transient states (routing, deciding) that plain snapshots skip.
    inspect: (inspection) => {
      if (inspection.type === '@xstate.microstep' && (inspection.actorRef as { src?: unknown }).src === machine) visit(inspection.snapshot as SnapshotFrom<AnyStateMachine>);
    },
  });
  const finished = new Promise<SnapshotFrom<AnyStateMachine>>((resolve, reject) => {
    actor.subscribe({
      next(snapshot) {
        visit(snapshot);
        if (snapshot.status === 'done') resolve(snapshot);
      },
      error: reject,
    });
  });
  actor.start();
  const snapshot = await finished;
  actor.stop();

  const context = snapshot.context as MachineContext;
  const result = resultOf(context, path, started, dryRun, runId);
  if (context.overrideError) log.warn({ error: context.overrideError }, 'could not check for overrides; none applied');
  if (context.reportError) {
    log.error({ error: context.reportError }, 'reporting failed');
    return { ...result, outcome: 'error', exitCode: ExitCode.incomplete, reason: `${result.reason}; reporting failed: ${context.reportError}` };
  }
  log.info({ outcome: result.outcome, exitCode: result.exitCode, why: result.reason }, 'run finished');
  return result;
}
