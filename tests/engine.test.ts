import { describe, expect, it } from 'vitest';
import { buildMachine, runEngine } from '../src/engine.ts';
import type { DriftEvent } from '../src/events.ts';
import { toMermaid } from '../src/graph.ts';
import { DECISIONS_LOGGED } from '../src/engine.ts';
import { parsePolicy } from '../src/policy/load.ts';
import { testDeps } from './helpers/deps.ts';
import { testRegistry, type Calls } from './helpers/test-modules.ts';

const schedule: DriftEvent = { name: 'schedule', source: 'cli', actor: 'cron', change: { kind: 'none' } };
const prOpened: DriftEvent = { name: 'pr_opened', source: 'cli', actor: 'octocat', change: { kind: 'none' } };

async function run(policyText: string, event: DriftEvent, options: { dryRun?: boolean } = {}) {
  const calls: Calls = { plan: [], apply: [] };
  const registry = testRegistry(calls);
  const policy = await parsePolicy('policy.yaml', policyText, registry);
  const deps = testDeps();
  const result = await runEngine({ policy, registry, event, dryRun: options.dryRun ?? policy.dry_run, deps, runId: 'test-run' });
  return { result, calls, deps };
}

const janitorPolicy = (ttl: string, steps = '[expiry]') => `version: 1
dry_run: true
workflows:
  schedule: ${steps}
modules:
  expiry:
    ttl: ${ttl}
    ages_hours: [6, 13, 30]
`;

describe('engine', () => {
  it('dispatches the event to the workflow steps in order and passes', async () => {
    const { result, calls } = await run(janitorPolicy('24h', '[gate, expiry]'), schedule);
    expect(calls.plan).toEqual(['gate', 'expiry']);
    expect(result.outcome).toBe('pass');
    expect(result.exitCode).toBe(0);
    expect(result.steps.map((s) => s.module)).toEqual(['gate', 'expiry']);
    expect(result.path).toEqual(['routing', 'schedule.gate', 'schedule.expiry', 'deciding', 'reporting', 'done']);
  });

  it('changes behaviour when a rule in the policy changes, with no code change (ttl 24h -> 12h)', async () => {
    const day = await run(janitorPolicy('24h'), schedule);
    const half = await run(janitorPolicy('12h'), schedule);
    expect(day.result.steps[0]!.outcome.actions.map((a) => a.target)).toEqual(['item-30h']);
    expect(half.result.steps[0]!.outcome.actions.map((a) => a.target)).toEqual(['item-13h', 'item-30h']);
  });

  it('changes behaviour when a step is removed from a workflow', async () => {
    const both = await run(janitorPolicy('24h', '[gate, expiry]'), schedule);
    const one = await run(janitorPolicy('24h', '[gate]'), schedule);
    expect(both.calls.plan).toEqual(['gate', 'expiry']);
    expect(one.calls.plan).toEqual(['gate']);
  });

  it('in dry-run plans but never applies; outside dry-run applies', async () => {
    const dry = await run(janitorPolicy('24h'), schedule);
    expect(dry.calls.apply).toEqual([]);
    expect(dry.result.steps[0]!.outcome.actions.every((a) => a.status === 'planned')).toBe(true);

    const live = await run(janitorPolicy('24h').replace('dry_run: true', 'dry_run: false'), schedule);
    expect(live.calls.apply).toEqual(['expiry']);
    expect(live.result.steps[0]!.outcome.actions.every((a) => a.status === 'done')).toBe(true);
  });

  it('--dry-run wins over a policy that says dry_run: false', async () => {
    const forced = await run(janitorPolicy('24h').replace('dry_run: true', 'dry_run: false'), schedule, { dryRun: true });
    expect(forced.calls.apply).toEqual([]);
    expect(forced.result.dryRun).toBe(true);
  });

  it('a failing step blocks with exit 1 under on_fail: block, and only warns under on_fail: warn', async () => {
    const text = (onFail: string) => `version: 1
workflows:
  pr_opened: [gate]
modules:
  gate: { fail: true, on_fail: ${onFail} }
`;
    const blocked = await run(text('block'), prOpened);
    expect(blocked.result.outcome).toBe('blocked');
    expect(blocked.result.exitCode).toBe(1);
    const warned = await run(text('warn'), prOpened);
    expect(warned.result.outcome).toBe('pass');
    expect(warned.result.exitCode).toBe(0);
    expect(warned.result.steps[0]!.effect).toBe('warn');
  });

  it('turns a module that throws into an error step, keeps going, and never counts it as a pass', async () => {
    const { result, calls } = await run('version: 1\nworkflows:\n  pr_opened: [boom, gate]\n', prOpened);
    expect(calls.plan).toEqual(['boom', 'gate']);
    expect(result.steps[0]).toMatchObject({ module: 'boom', verdict: 'error', effect: 'error' });
    expect(result.steps[0]!.outcome.summary).toContain('kaboom');
    expect(result.outcome).toBe('error');
    expect(result.exitCode).toBe(3);
  });

  it('turns a module that overruns its timeout into an error step and aborts it', async () => {
    const { result, calls } = await run('version: 1\nworkflows:\n  pr_opened: [slow, gate]\nmodules:\n  slow: { timeout: 50ms }\n', prOpened);
    expect(calls.plan).toEqual(['slow', 'gate']);
    expect(result.steps[0]).toMatchObject({ module: 'slow', verdict: 'error' });
    expect(result.steps[0]!.outcome.summary).toBe('slow timed out after 50ms');
    expect(result.exitCode).toBe(3);
  });

  it('passes with no steps when the policy has no workflow for the event', async () => {
    const { result, calls } = await run('version: 1\nworkflows:\n  schedule: [expiry]\n', prOpened);
    expect(calls.plan).toEqual([]);
    expect(result).toMatchObject({ outcome: 'pass', exitCode: 0, reason: 'no steps for this event' });
    expect(result.path).toEqual(['routing', 'deciding', 'reporting', 'done']);
  });

  it('asks for an override only when a step blocks; an override turns a block into a pass, never an error', async () => {
    const calls: Calls = { plan: [], apply: [] };
    const registry = testRegistry(calls);
    const text = 'version: 1\nworkflows:\n  pr_opened: [gate, boom]\nmodules:\n  gate: { fail: true }\n';
    const policy = await parsePolicy('policy.yaml', text, registry);
    const asked: string[][] = [];
    const grant = { by: 'maintainer', reason: 'hotfix', commentId: 7 };
    const findOverride = async (steps: readonly { module: string }[]) => (asked.push(steps.map((s) => s.module)), grant);
    const withError = await runEngine({ policy, registry, event: prOpened, dryRun: true, deps: testDeps(), runId: 'r', findOverride });
    expect(asked).toEqual([['gate', 'boom']]);
    expect(withError.steps.map((s) => s.effect)).toEqual(['overridden', 'error']);
    expect(withError.exitCode).toBe(3);

    const onlyGate = await parsePolicy('policy.yaml', text.replace('[gate, boom]', '[gate]'), registry);
    const overridden = await runEngine({ policy: onlyGate, registry, event: prOpened, dryRun: true, deps: testDeps(), runId: 'r', findOverride });
    expect(overridden).toMatchObject({ outcome: 'pass', exitCode: 0, reason: 'gate overridden by @maintainer: hotfix', override: grant });
    expect(overridden.path).toEqual(['routing', 'pr_opened.gate', 'overriding', 'deciding', 'reporting', 'done']);

    const passing = await parsePolicy('policy.yaml', text.replace('{ fail: true }', '{ fail: false }').replace('[gate, boom]', '[gate]'), registry);
    asked.length = 0;
    const clean = await runEngine({ policy: passing, registry, event: prOpened, dryRun: true, deps: testDeps(), runId: 'r', findOverride });
    expect(asked).toEqual([]);
    expect(clean.override).toBeUndefined();
  });

  it('logs decisions as JSON lines with run id, event, module, decision and why, the first ones at info, and their counts on the step line', async () => {
    const { deps } = await run(janitorPolicy('24h'), schedule);
    const lines = deps.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const decisions = lines.filter((l) => l.msg === 'decision');
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.length).toBeLessThanOrEqual(DECISIONS_LOGGED);
    expect(decisions).toContainEqual(expect.objectContaining({ level: 30, runId: 'test-run', event: 'schedule', module: 'expiry', actor: 'cron', decision: 'delete', subject: 'item-30h', why: 'age 30h vs ttl 24h' }));
    expect(decisions.every((d) => typeof d.time === 'number' && d.level === 30)).toBe(true);
    const counted = lines.find((l) => l.level === 30 && l.module === 'expiry' && l.decisions);
    expect(counted?.decisions).toEqual(decisions.reduce<Record<string, number>>((n, d) => ({ ...n, [d.decision as string]: (n[d.decision as string] ?? 0) + 1 }), {}));
    expect(counted?.decisionsAtDebug).toBeUndefined();
  });
});

describe('graph', () => {
  it('draws the very machine that runs, with every workflow, step and timeout', async () => {
    const registry = testRegistry();
    const policy = await parsePolicy('policy.yaml', 'version: 1\nworkflows:\n  pr_opened: [gate, slow]\n  schedule: [expiry]\nmodules:\n  slow: { timeout: 2m }\n', registry);
    const text = toMermaid(buildMachine(policy, registry));
    expect(text).toMatch(/^stateDiagram-v2\n/);
    expect(text).toContain('routing --> pr_opened: event pr_opened');
    expect(text).toContain('routing --> schedule: event schedule');
    expect(text).toContain('pr_opened_gate --> pr_opened_slow: done');
    expect(text).toContain('pr_opened_gate --> pr_opened_slow: error');
    expect(text).toContain('pr_opened_slow --> pr_opened_finished: timeout 2m');
    expect(text).toContain('routing --> deciding');
    expect(text).toContain('reporting --> failed: error');
    expect(text).toContain('overriding --> deciding: done');

    const only = toMermaid(buildMachine(policy, registry), { event: 'schedule' });
    expect(only).toContain('schedule_expiry');
    expect(only).not.toContain('pr_opened');
  });

  it('highlights the path a run took', async () => {
    const registry = testRegistry();
    const policy = await parsePolicy('policy.yaml', 'version: 1\nworkflows:\n  schedule: [expiry]\n', registry);
    const text = toMermaid(buildMachine(policy, registry), { event: 'schedule', visited: ['routing', 'schedule.expiry', 'deciding'] });
    expect(text).toContain('class schedule_expiry visited');
    expect(text).toContain('class routing visited');
    expect(text).not.toContain('class done visited');
  });
});
