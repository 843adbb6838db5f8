import * as z from 'zod';
import { EVENT_NAMES } from '../events.ts';
import type { ModuleRegistry } from '../module.ts';
import { parseDuration } from '../duration.ts';
import { NotificationSettings } from '../notify/settings.ts';
import { CommonModuleConfig, Duration, LogLevel } from './types.ts';
import { Lifecycles } from '../lifecycle/schema.ts';

export const POLICY_VERSION = 1;

export const PERMISSIONS = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const GitHubSettings = z
  .strictObject({
    checks: z.boolean().default(true).describe('One check run per module on the head SHA (a commit status where check runs are not permitted).'),
    comment: z.boolean().default(true).describe('One sticky PR comment, updated only when the verdict changes.'),
    summary: z.boolean().default(true).describe('The report and the path through the machine in the job summary.'),
    bot_login: z.string().min(1).default('github-actions[bot]').describe('The login DriftGuard posts as; only its own comments are ever edited.'),
    max_annotations: z.number().int().min(0).max(1000).default(200),
  })
  .describe('How results are reported on GitHub (never in dry-run).');
export type GitHubSettings = z.infer<typeof GitHubSettings>;

export const OverrideSettings = z
  .strictObject({
    command: z.string().regex(/^\/[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$/).default('/driftguard override'),
    min_permission: z.enum(PERMISSIONS).default('write').describe('Least repository permission of whoever overrides, looked up through the API.'),
    teams: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected "org/team-slug"' })).default([]).describe('Members of these teams may override whatever their permission.'),
    allow_author: z.boolean().default(false).describe('Whether the PR author may override their own PR.'),
    max_reason_length: z.number().int().min(10).max(2000).default(500),
    protected_paths: z.array(z.string().min(1)).default(['policy.yaml', '.github/workflows/**']).describe('A PR touching these can never be overridden.'),
  })
  .describe('The /driftguard override command.');
export type OverrideSettings = z.infer<typeof OverrideSettings>;

// IAM: a role name is 1 to 64 characters of [\w+=,.@-], after an optional path of up to 512.
const RoleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, { error: 'expected an IAM role ARN such as "arn:aws:iam::111111111111:role/driftguard"', abort: true })
  .refine((arn) => {
    const [, ...rest] = arn.split(':role/');
    const full = rest.join(':role/');
    const name = full.slice(full.lastIndexOf('/') + 1);
    return name.length >= 1 && name.length <= 64 && full.length - name.length <= 512;
  }, { error: (iss) => `expected an IAM role name of 1 to 64 characters (after a path of at most 512), got ${JSON.stringify(iss.input)}` });

/** What STS AssumeRoleWithWebIdentity accepts as DurationSeconds: 900 to 43200 seconds. */
export const SESSION_DURATION_BOUNDS = { minMs: 15 * 60_000, maxMs: 12 * 3_600_000 } as const;

const SessionDuration = Duration.refine(
  (text) => {
    const ms = parseDuration(text);
    // Not a duration at all: Duration's own message says so.
    return ms === undefined || (ms >= SESSION_DURATION_BOUNDS.minMs && ms <= SESSION_DURATION_BOUNDS.maxMs);
  },
  { error: (iss) => `expected a duration from 15m to 12h (STS AssumeRoleWithWebIdentity accepts 900 to 43200 seconds; the role's own maximum session duration may be lower), got ${JSON.stringify(iss.input)}` },
);

/** An https URL: MSAL refuses an authority over plain http (authority_uri_insecure). */
const HttpsUrl = z.url({ protocol: /^https$/, error: (iss) => `expected an https URL (Entra ID authorities are https only), got ${JSON.stringify(iss.input)}` });

export const AuthSettings = z
  .strictObject({
    require_oidc: z.enum(['auto', 'always', 'never']).default('auto').describe('auto: static cloud keys are refused inside GitHub Actions; always: everywhere; never: not checked.'),
    aws: z
      .strictObject({
        role_arn: RoleArn.optional().describe('Role assumed with the GitHub OIDC token (AWS_ROLE_TO_ASSUME overrides it).'),
        roles: z.record(z.string().regex(/^\d{12}$/), RoleArn).default({}).describe('Per-account roles for multi-account runs.'),
        session_duration: SessionDuration.default('15m'),
        sts_endpoint: z.string().url().optional(),
      })
      .prefault({}),
    azure: z.strictObject({ authority_host: HttpsUrl.optional() }).prefault({}),
    gcp: z.strictObject({ token_url: z.string().url().optional(), iam_credentials_url: z.string().url().optional() }).prefault({}),
  })
  .describe('Cloud authentication: short-lived credentials from the GitHub OIDC token.');
export type AuthSettings = z.infer<typeof AuthSettings>;

/** Builds the strict policy schema: the fixed top level plus one slice per registered module. */
export function policySchema(registry: ModuleRegistry) {
  const slices: Record<string, z.ZodType> = {};
  for (const [id, module] of registry) {
    slices[id] = z
      .strictObject({ ...CommonModuleConfig, ...module.config.shape })
      .prefault({})
      .describe(module.summary);
  }
  return z
    .strictObject({
      version: z.literal(POLICY_VERSION).describe('Policy format version; always 1.'),
      dry_run: z
        .boolean()
        .default(true)
        .describe('Simulate every side effect. The CLI flag --dry-run always forces it on.'),
      audit: z
        .strictObject({
          dir: z.string().min(1).default('.artifacts').describe('Where the audit artifact of every run is written.'),
        })
        .prefault({}),
      log: z.strictObject({ level: LogLevel.default('info') }).prefault({}),
      workflows: z
        .record(z.string(), z.array(z.string()).max(32))
        .default({})
        .describe('Event name -> ordered list of module ids to run for it.'),
      github: GitHubSettings.prefault({}),
      overrides: OverrideSettings.prefault({}),
      auth: AuthSettings.prefault({}),
      notifications: NotificationSettings.prefault({}),
      modules: z.strictObject(slices).prefault({}),
      lifecycles: Lifecycles.describe('Pull request lifecycles: labelled states, transitions, roles and guards, enforced by the driftguard/lifecycle check.'),
    })
    .describe('DriftGuard policy');
}

export interface Policy {
  version: 1;
  dry_run: boolean;
  audit: { dir: string };
  log: { level: LogLevel };
  workflows: Record<string, string[]>;
  github: GitHubSettings;
  overrides: OverrideSettings;
  auth: AuthSettings;
  notifications: NotificationSettings;
  modules: Record<string, Record<string, unknown> & { on_fail: 'block' | 'warn'; timeout: string }>;
  lifecycles: Lifecycles;
}

export function policyJsonSchema(registry: ModuleRegistry): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema(registry), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The loader checks workflow names semantically (with suggestions); editors get the same names as enums.
  const workflows = (schema.properties as Record<string, Record<string, unknown>>).workflows!;
  workflows.propertyNames = { enum: [...EVENT_NAMES] };
  workflows.additionalProperties = { type: 'array', maxItems: 32, items: { enum: [...registry.keys()] } };
  return { ...schema, title: 'DriftGuard policy' };
}
