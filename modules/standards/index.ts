import { defineModule } from '../../src/module.ts';
import { StandardsConfig, TIERS } from './schema.ts';

/**
 * Standards scans: process (branch protection and rulesets, CODEOWNERS, required workflows and
 * labels), code (changes to the files that define standards) and infra (resources a deprecated
 * project left) checked across an organisation's repositories by tier, with one issue per
 * repository and domain.
 */
export const standards = defineModule<StandardsConfig>({
  id: 'standards',
  summary: 'Scans an organisation\'s repositories against tiered process, code and infra standards and keeps one issue per repository and domain',
  events: ['schedule', 'dispatch'],
  config: StandardsConfig,
  // The infra domain reads AWS: where OIDC is required, static keys are refused before it runs.
  cloud: true,
  validate(config) {
    const problems: Array<{ path: (string | number)[]; message: string }> = [];
    const seen = new Set<string>();
    config.repositories.forEach((r, i) => {
      if (seen.has(r.toLowerCase())) problems.push({ path: ['repositories', i], message: `repository ${r} is listed twice` });
      seen.add(r.toLowerCase());
    });
    for (const tier of TIERS) {
      config.tiers[tier].process.required_workflows.forEach((w, i) => {
        if (!w.startsWith('.github/workflows/') || !/\.ya?ml$/.test(w)) problems.push({ path: ['tiers', tier, 'process', 'required_workflows', i], message: `expected a workflow path such as ".github/workflows/ci.yml", got "${w}"` });
      });
      const checks = config.tiers[tier].process.branch_protection?.required_status_checks ?? [];
      checks.forEach((c, i) => {
        if (checks.indexOf(c) !== i) problems.push({ path: ['tiers', tier, 'process', 'branch_protection', 'required_status_checks', i], message: `status check "${c}" is listed twice` });
      });
    }
    if (config.infra.aws.endpoint && config.infra.aws.regions.length === 0) problems.push({ path: ['infra', 'aws', 'regions'], message: 'an endpoint is set but no region: the infra domain needs at least one region' });
    return problems;
  },
  async plan(ctx) {
    const { planStandards } = await import('./scan.ts');
    return planStandards(ctx);
  },
  async apply(planned, ctx) {
    const { applyStandards } = await import('./scan.ts');
    return applyStandards(planned, ctx);
  },
});
