import * as z from 'zod';
import { defineModule } from '../../src/module.ts';

/**
 * `/driftguard override <reason>` on a pull request: checks the commenter and the change against
 * GitHub's own answers, then marks DriftGuard's failing checks on the head SHA as overridden and
 * replies. Refusals get one short reply naming the rule.
 */
export const override = defineModule<object>({
  id: 'override',
  summary: 'Handles /driftguard override <reason> comments on pull requests, safely',
  events: ['pr_comment'],
  config: z.object({}),
  async plan(ctx) {
    const { planOverride } = await import('./plan.ts');
    return planOverride(ctx);
  },
  async apply(planned, ctx) {
    const { applyOverride } = await import('./plan.ts');
    return applyOverride(planned, ctx);
  },
});
