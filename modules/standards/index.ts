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
    const aws = config.infra.aws;
    if (aws.endpoint && aws.regions.length === 0 && aws.accounts.length === 0) problems.push({ path: ['infra', 'aws', 'regions'], message: 'an endpoint is set but no region: the infra domain needs at least one region' });
    if (aws.account && aws.accounts.length > 0) problems.push({ path: ['infra', 'aws', 'account'], message: `set either account (one account, not production) or accounts, not both: move ${aws.account} into accounts as { id: "${aws.account}" }` });
    const ids = new Set<string>();
    aws.accounts.forEach((a, i) => {
      if (ids.has(a.id)) problems.push({ path: ['infra', 'aws', 'accounts', i, 'id'], message: `account ${a.id} is listed twice` });
      ids.add(a.id);
      if (!a.regions && aws.regions.length === 0) problems.push({ path: ['infra', 'aws', 'accounts', i], message: `account ${a.id} has no region: set its regions or modules.standards.infra.aws.regions` });
    });
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
