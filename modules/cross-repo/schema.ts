import * as z from 'zod';
import { Duration } from '../../src/policy/types.ts';

export const Contract = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, { error: 'expected a lowercase name such as "orders-api"' }),
  paths: z.array(z.string().min(1)).min(1).describe('Globs of the contract files (OpenAPI 3.x or JSON Schema get a breaking-change diff).'),
  dependents: z.array(z.string().regex(/^[\w.-]+\/[\w.-]+$/, { error: 'expected "owner/repo"' })).default([]),
  timeout: Duration.default('6h').describe('How long dependents have to answer before on_timeout applies.'),
});
export type Contract = z.infer<typeof Contract>;

export const CrossRepoConfig = z.object({
  contracts: z.array(Contract).default([]),
  event_type: z.string().regex(/^[\w.-]{1,100}$/).default('driftguard-contract-changed').describe('repository_dispatch event type sent to dependents.'),
  token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('DRIFTGUARD_DISPATCH_TOKEN').describe('Variable holding the token for cross-repo work (a GitHub App installation token or fine-grained PAT).'),
  on_timeout: z.enum(['fail', 'neutral']).default('fail'),
  on_push: z.boolean().default(false).describe('Also dispatch dependents when a contract changes on a push to the default branch.'),
  breaking: z.enum(['block', 'warn', 'off']).default('block').describe('What a breaking change found by the static diff does.'),
});
export type CrossRepoConfig = z.infer<typeof CrossRepoConfig>;
