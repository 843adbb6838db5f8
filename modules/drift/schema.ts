import * as z from 'zod';
import { Duration } from '../../src/policy/types.ts';

export const Stack = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: 'expected a lowercase stack name such as "network"' }),
  dir: z.string().min(1).describe('Terraform working directory of the stack.'),
  environment: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  region: z.string().min(1).default('global'),
  tags: z.array(z.string()).default([]),
});
export type Stack = z.infer<typeof Stack>;

export const DriftConfig = z.object({
  stacks: z.array(Stack).default([]).describe('Terraform stacks to check; may be empty when only Argo CD is watched.'),
  binary: z.string().min(1).default('terraform'),
  plan_timeout: Duration.default('20m').describe('Time limit of each terraform command.'),
  lock_timeout: Duration.default('60s'),
  parallelism: z.number().int().min(1).max(16).default(2).describe('Stacks planned at once per environment.'),
  ignore: z.array(z.string().min(1)).default([]).describe('Drift to ignore: a resource address, optionally followed by an attribute path (aws_instance.web, aws_subnet.a.tags["kubernetes.io/role"], module.net.aws_subnet.private[1]); * and ? glob within a segment, [*] any index or key, ** any run of segments; the last matching rule decides and a leading ! re-includes.'),
  baseline: z.string().min(1).default('.driftguard/drift-baseline.yaml').describe('Known drift accepted by `driftguard drift baseline`, ignored like `ignore`.'),
  issues: z
    .strictObject({
      enabled: z.boolean().default(true),
      close_when_clean: z.boolean().default(true),
      labels: z.array(z.string().min(1)).default(['drift', 'drift:infra']),
    })
    .prefault({}),
  argocd: z
    .strictObject({ enabled: z.boolean().default(false), projects: z.array(z.string().min(1)).default([]).describe('Only these Argo CD projects (all when empty).') })
    .prefault({})
    .describe('Workload drift: OutOfSync Argo CD applications (ARGOCD_SERVER, ARGOCD_AUTH_TOKEN) become workload-drift issues.'),
  jira: z
    .strictObject({
      enabled: z.boolean().default(false),
      project: z.string().regex(/^[A-Z][A-Z0-9]+$/).default('OPS'),
      issue_type: z.string().min(1).default('Task'),
      done_status: z.string().min(1).optional().describe('Status a ticket moves to when its drift is gone (name or id), through whichever transition leads there. Default Done.'),
      done_transition: z.string().min(1).optional().describe('Older spelling of done_status: read as the target status.'),
      url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('JIRA_BASE_URL'),
      email_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('JIRA_EMAIL'),
      token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('JIRA_API_TOKEN'),
    })
    .prefault({})
    .describe('A Jira ticket per new drift issue, transitioned when the drift is gone.'),
  webhook_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe('Variable holding a Slack-compatible webhook URL to notify on new drift.'),
});
export type DriftConfig = z.infer<typeof DriftConfig>;
