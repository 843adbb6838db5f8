import { defineModule } from '../../src/module.ts';
import { RemediationConfig } from './schema.ts';

/**
 * Remediation governance: a pull request that fixes a drift issue carries its metadata (issue,
 * type, change request, environment, provider, Argo CD app, Jira key) and enough approvals on
 * its head; once merged, the fix is verified, recorded and the drift issue closed.
 */
export const remediation = defineModule<RemediationConfig>({
  id: 'remediation',
  summary: 'Checks drift remediation pull requests (metadata, approvals) and verifies them once merged',
  events: ['pr_opened', 'pr_synchronize', 'pr_reopened', 'pr_closed'],
  config: RemediationConfig,
  async plan(ctx) {
    const { planRemediation } = await import('./plan.ts');
    return planRemediation(ctx);
  },
  async apply(planned, ctx) {
    const { applyRemediation } = await import('./plan.ts');
    return applyRemediation(planned, ctx);
  },
});
