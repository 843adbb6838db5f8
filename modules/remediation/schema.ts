import { z } from 'zod';

export const RemediationConfig = z.object({
  min_approvals: z.number().int().min(0).max(10).default(1).describe('Approving reviews needed on the current head commit (the author\'s own never counts).'),
  jira: z.boolean().default(false).describe('Whether a Jira Key field is required.'),
});
export type RemediationConfig = z.infer<typeof RemediationConfig>;
