import { defineModule } from '../../src/module.ts';
import { CrossRepoConfig } from './schema.ts';

/**
 * Cross-repo guard: a pull request that changes a shared contract gets a static breaking-change
 * diff, and the repositories that depend on the contract are dispatched to run their own tests;
 * their verdicts, reported back as downstream_result, gate the pull request's check.
 */
export const crossRepo = defineModule<CrossRepoConfig>({
  id: 'cross_repo',
  summary: 'Dispatches the dependents of a changed contract and gates the pull request on their verdicts',
  events: ['pr_opened', 'pr_synchronize', 'pr_reopened', 'push', 'downstream_result', 'schedule'],
  config: CrossRepoConfig,
  ownCheck: true,
  validate(config) {
    const names = config.contracts.map((c) => c.name);
    return names.flatMap((name, i) => (names.indexOf(name) !== i ? [{ path: ['contracts', i, 'name'], message: `contract "${name}" is defined twice` }] : []));
  },
  async plan(ctx) {
    const { planCrossRepo } = await import('./plan.ts');
    return planCrossRepo(ctx);
  },
  async apply(planned, ctx) {
    const { applyCrossRepo } = await import('./plan.ts');
    return applyCrossRepo(planned, ctx);
  },
});
