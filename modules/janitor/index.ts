import { defineModule } from '../../src/module.ts';
import { durationMs } from '../../src/policy/types.ts';
import { JanitorConfig } from './schema.ts';

/**
 * TTL janitor: on a schedule, removes expired ephemeral cloud resources it can prove are its own
 * (prefix, no protected tag, allowlisted account, provable expiry): Terraform destroy per
 * environment first, direct API deletion of what is left second. Dry-run prints the plan.
 */
export const janitor = defineModule<JanitorConfig>({
  id: 'janitor',
  summary: 'Deletes expired ephemeral cloud resources (Terraform first, then the cloud APIs), only those it can prove are eligible',
  events: ['schedule', 'dispatch'],
  config: JanitorConfig,
  cloud: true,
  validate(config) {
    const problems = [];
    if (durationMs(config.ttl) > durationMs(config.max_ttl)) problems.push({ path: ['ttl'], message: `ttl ${config.ttl} is above max_ttl ${config.max_ttl}` });
    if (!config.terraform.workdir.includes('{env}')) problems.push({ path: ['terraform', 'workdir'], message: 'expected a path with {env} in it, e.g. "infra/envs/{env}"' });
    return problems;
  },
  async plan(ctx) {
    const { planJanitor } = await import('./plan.ts');
    return planJanitor(ctx);
  },
  async apply(planned, ctx) {
    const { applyJanitor } = await import('./plan.ts');
    return applyJanitor(planned, ctx);
  },
});
