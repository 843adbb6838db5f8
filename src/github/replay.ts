import * as z from 'zod';
import type { DriftModule, ModuleRegistry, StepOutcome } from '../module.ts';

/**
 * A registry whose modules give back results computed elsewhere (a pull request's read-only
 * job), so that publishing them goes through the same machine as a live run: the publisher's
 * policy decides each step's on_fail, overrides are looked up on GitHub, and the reporter writes
 * the checks, the comment, the audit artifact and the summary.
 */
export function replayRegistry(registry: ModuleRegistry, outcomes: ReadonlyMap<string, StepOutcome>, events: DriftModule['events']): ModuleRegistry {
  return new Map(
    [...registry.values()].map((real) => {
      const replayed: DriftModule<object> = {
        id: real.id,
        summary: real.summary,
        events,
        config: z.looseObject({}) as unknown as DriftModule['config'],
        ...(real.ownCheck ? { ownCheck: true } : {}),
        async plan() {
          const outcome = outcomes.get(real.id);
          if (!outcome) return { verdict: 'error', summary: `no result for ${real.id} in the verdict`, findings: [], actions: [], decisions: [] };
          return outcome;
        },
      };
      return [real.id, replayed];
    }),
  );
}
