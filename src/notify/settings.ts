import * as z from 'zod';
import { Duration } from '../policy/types.ts';

/** What a target can be told about: each is one message per run that has something to say. */
export const NOTIFY_EVENTS = ['drift', 'janitor', 'override_refused', 'standards'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const NotifyTarget = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'expected a short name of lowercase letters, digits, - and _' }).optional().describe('How the target is named in logs and the audit artifact (default: its kind and index).'),
  kind: z.enum(['slack', 'teams', 'webhook']).describe('slack: an incoming webhook (Block Kit); teams: a Teams workflow webhook (Adaptive Card); webhook: a generic JSON POST with a Slack-compatible "text".'),
  url_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected the NAME of an environment variable holding the URL (the URL itself never goes in the policy)' }).describe('Environment variable holding the webhook URL (a secret: it never reaches logs or artifacts).'),
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).default([...NOTIFY_EVENTS]).describe('drift: drifted stacks; janitor: the janitor summary; override_refused: an override refused on a pull request; standards: a standards scan\'s findings by repository and domain.'),
  rate_limit: z
    .strictObject({ max: z.number().int().min(1).max(1000).default(20), per: Duration.default('1h') })
    .prefault({})
    .describe('At most `max` messages to this target per `per` (counted in the audit folder); more are skipped with a warning.'),
});
export type NotifyTarget = z.infer<typeof NotifyTarget>;

export const NotificationSettings = z
  .strictObject({
    enabled: z.boolean().default(false),
    targets: z.array(NotifyTarget).max(20).default([]),
  })
  .describe('Chat notifications (Slack, Microsoft Teams, a generic webhook); off by default, never fatal.');
export type NotificationSettings = z.infer<typeof NotificationSettings>;
