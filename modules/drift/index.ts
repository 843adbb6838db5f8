import { defineModule } from '../../src/module.ts';
import { parseRule } from './path.ts';
import { DriftConfig } from './schema.ts';

/**
 * Drift detection: a refresh-only Terraform plan per stack, drift classified from the plan JSON,
 * ignore rules and an accepted baseline applied, and one GitHub issue per drifted stack.
 */
export const drift = defineModule<DriftConfig>({
  id: 'drift',
  summary: 'Detects Terraform drift per stack and keeps one GitHub issue per drifted stack',
  events: ['schedule', 'dispatch'],
  config: DriftConfig,
  cloud: true,
  validate(config) {
    const seen = new Set<string>();
    const stacks = config.stacks.flatMap((s, i) => {
      const fp = `${s.environment}/${s.region}/${s.name}`;
      if (seen.has(fp)) return [{ path: ['stacks', i], message: `stack ${fp} is listed twice` }];
      seen.add(fp);
      return [];
    });
    const rules = config.ignore.flatMap((rule, i) => {
      try {
        parseRule(rule.replace(/^!/, ''));
        return [];
      } catch (err) {
        return [{ path: ['ignore', i], message: `${(err as Error).message}; rules look like aws_instance.web, aws_instance.web.tags["kubernetes.io/role"], module.net.aws_subnet.private[1], aws_*.*` }];
      }
    });
    const jira = config.jira.done_status && config.jira.done_transition && config.jira.done_status !== config.jira.done_transition ? [{ path: ['jira', 'done_transition'], message: `done_transition is the older spelling of done_status; they disagree ("${config.jira.done_transition}" vs "${config.jira.done_status}"): keep done_status` }] : [];
    return [...stacks, ...rules, ...jira];
  },
  async plan(ctx) {
    const { planDrift } = await import('./plan.ts');
    return planDrift(ctx);
  },
  async apply(planned, ctx) {
    const { applyDrift } = await import('./plan.ts');
    return applyDrift(planned, ctx);
  },
});
