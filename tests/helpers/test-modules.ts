import * as z from 'zod';
import { defineModule, type DriftModule, type ModuleRegistry, type StepOutcome } from '../../src/module.ts';
import { Duration, durationMs } from '../../src/policy/types.ts';

/**
 * Modules that live only in the tests, to prove the module interface and the engine without
 * placeholder modules in the product.
 */
export interface Calls {
  plan: string[];
  apply: string[];
}

export function testRegistry(calls: Calls = { plan: [], apply: [] }): ModuleRegistry {
  const expiry = defineModule<{ ttl: string; max_ttl: string; ages_hours: number[] }>({
    id: 'expiry',
    summary: 'Plans the deletion of items older than the ttl (test module)',
    events: ['schedule', 'dispatch'],
    config: z.object({ ttl: Duration.default('24h'), max_ttl: Duration.default('7d'), ages_hours: z.array(z.number()).default([]) }),
    validate(config) {
      return durationMs(config.ttl) > durationMs(config.max_ttl) ? [{ path: ['ttl'], message: `ttl ${config.ttl} is above max_ttl ${config.max_ttl}` }] : [];
    },
    async plan(ctx) {
      calls.plan.push('expiry');
      const ttlHours = durationMs(ctx.config.ttl) / 3_600_000;
      const expired = ctx.config.ages_hours.filter((age) => age > ttlHours);
      return {
        verdict: 'pass',
        summary: `${expired.length} expired`,
        findings: [],
        actions: expired.map((age) => ({ kind: 'delete', target: `item-${age}h`, reason: `older than ${ctx.config.ttl}`, status: 'planned' as const })),
        decisions: ctx.config.ages_hours.map((age) => ({ subject: `item-${age}h`, decision: age > ttlHours ? 'delete' : 'keep', reason: `age ${age}h vs ttl ${ctx.config.ttl}` })),
      };
    },
    async apply(planned) {
      calls.apply.push('expiry');
      return { ...planned, actions: planned.actions.map((a) => ({ ...a, status: 'done' as const })) };
    },
  });
  const gate = defineModule<{ fail: boolean }>({
    id: 'gate',
    summary: 'Fails when told to (test module)',
    events: ['pr_opened', 'pr_synchronize', 'schedule'],
    config: z.object({ fail: z.boolean().default(false) }),
    async plan(ctx): Promise<StepOutcome> {
      calls.plan.push('gate');
      return {
        verdict: ctx.config.fail ? 'fail' : 'pass',
        summary: ctx.config.fail ? 'gate closed' : 'gate open',
        findings: ctx.config.fail ? [{ rule: 'gate', title: 'closed', message: 'the gate is closed', severity: 'error', file: 'a.txt', line: 1 }] : [],
        actions: [],
        decisions: [],
      };
    },
  });
  const boom = defineModule<object>({
    id: 'boom',
    summary: 'Throws (test module)',
    events: ['pr_opened', 'schedule'],
    config: z.object({}),
    async plan() {
      calls.plan.push('boom');
      throw new Error('kaboom');
    },
  });
  const slow = defineModule<object>({
    id: 'slow',
    summary: 'Never finishes in time (test module)',
    events: ['pr_opened', 'schedule'],
    config: z.object({}),
    plan(ctx) {
      calls.plan.push('slow');
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    },
  });
  const modules: DriftModule<any>[] = [expiry, gate, boom, slow];
  return new Map(modules.map((m) => [m.id, m]));
}
