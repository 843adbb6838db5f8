import { defineModule, type SliceProblem } from '../../src/module.ts';
import { DocSyncConfig } from './schema.ts';

/**
 * Doc synchronizer: on a pull request, finds new public surface (environment variables, flags,
 * config keys, routes) that the docs do not mention. The heavy part loads only when it runs.
 */
export const docSync = defineModule<DocSyncConfig>({
  id: 'doc_sync',
  summary: 'Finds new environment variables, flags, config keys and routes that the docs do not mention',
  events: ['pr_opened', 'pr_synchronize', 'pr_reopened'],
  config: DocSyncConfig,
  async validate(config) {
    if (config.rules.length === 0) return [];
    const { compileRule, MissingNameGroup } = await import('./rules.ts');
    const problems: SliceProblem[] = [];
    config.rules.forEach((rule, index) => {
      try {
        compileRule(rule);
      } catch (err) {
        const why = (err as Error).message.replace(/^error parsing regexp: /, '');
        const message = err instanceof MissingNameGroup ? why : `pattern does not compile as a linear-time (RE2) regex: ${why}`;
        problems.push({ path: ['rules', index, 'pattern'], message });
      }
    });
    return problems;
  },
  async plan(ctx) {
    const { planDocSync } = await import('./plan.ts');
    return planDocSync(ctx);
  },
});
