import * as z from 'zod';
import { PERMISSIONS } from '../../src/policy/schema.ts';

export const RemediationConfig = z.object({
  min_approvals: z.number().int().min(0).max(10).default(1).describe('Approving reviews needed on the current head commit (the author\'s own never counts).'),
  min_permission: z.enum(PERMISSIONS).default('write').describe('Least repository permission of a reviewer whose approval counts, looked up through the API.'),
  jira: z.boolean().default(false).describe('Whether a Jira Key field is required.'),
});
export type RemediationConfig = z.infer<typeof RemediationConfig>;
