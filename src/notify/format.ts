import { inertText } from '../report/inert.ts';
import type { Message } from './message.ts';

/**
 * Slack mrkdwn text from untrusted text: `&`, `<` and `>` escaped as Slack asks (so no
 * `<!here>`, `<!channel>`, `<@U123>` or `<url|link>` can be formed), `@` followed by a zero-width
 * space (so `@channel` and `@here` ping no one), and hidden characters shown as escapes.
 */
export function slackText(text: string, max = 500): string {
  return inertText(text, max).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/@/g, '@\u200b');
}

/** Plain text for a Slack plain_text field (no mrkdwn is read there), capped. */
const plain = (text: string, max: number) => inertText(text, max - 1);

/** A URL DriftGuard itself built (the run's page), accepted only as http(s) with no characters Slack reads as syntax. */
function safeUrl(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\/[^\s<>|]+$/.test(url)) return undefined;
  return url;
}

/**
 * Slack Block Kit for an incoming webhook: a header, the summary, the counts as fields, the top
 * items, and a context line linking the run. `text` is the notification's fallback.
 * Limits respected: header 150 characters, section text 3000, at most 10 fields of 2000.
 */
export function slackPayload(message: Message): { text: string; blocks: unknown[] } {
  const url = safeUrl(message.url);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: plain(`DriftGuard: ${message.title}`, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: slackText(message.summary, 2900) } },
  ];
  if (message.facts.length > 0) {
    blocks.push({ type: 'section', fields: message.facts.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: `*${slackText(label, 100)}*\n${slackText(value, 300)}` })) });
  }
  if (message.items.length > 0) {
    const lines = message.items.map((item) => `• ${slackText(item, 250)}`);
    if (message.more > 0) lines.push(`…and ${message.more} more`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 2990) } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: url ? `<${url}|View the run> · DriftGuard` : 'DriftGuard' }] });
  return { text: slackText(`DriftGuard: ${message.title}`, 300), blocks };
}

/**
 * Text for an Adaptive Card TextBlock or fact from untrusted text: Markdown punctuation is
 * backslash-escaped (no link, image or emphasis can form), `<` and `>` too (no `<at>` mention
 * tag), and `@` is followed by a zero-width space.
 */
export function teamsText(text: string, max = 500): string {
  return inertText(text, max).replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, (c) => `\\${c}`).replace(/@/g, '@\u200b');
}

/**
 * A Microsoft Teams workflow webhook message: one Adaptive Card (version 1.4) inside
 * `{type: "message", attachments: [{contentType: "application/vnd.microsoft.card.adaptive", content}]}`,
 * with the title, summary, counts as a FactSet, the top items, and an Action.OpenUrl to the run.
 */
export function teamsPayload(message: Message): Record<string, unknown> {
  const url = safeUrl(message.url);
  const body: unknown[] = [
    { type: 'TextBlock', text: teamsText(`DriftGuard: ${message.title}`, 150), size: 'Large', weight: 'Bolder', wrap: true },
    { type: 'TextBlock', text: teamsText(message.summary, 2000), wrap: true },
  ];
  if (message.facts.length > 0) body.push({ type: 'FactSet', facts: message.facts.map(([title, value]) => ({ title: teamsText(title, 100), value: teamsText(value, 300) })) });
  for (const item of message.items) body.push({ type: 'TextBlock', text: `• ${teamsText(item, 250)}`, wrap: true, spacing: 'None' });
  if (message.more > 0) body.push({ type: 'TextBlock', text: `…and ${message.more} more`, wrap: true, isSubtle: true });
  const content: Record<string, unknown> = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body };
  if (url) content.actions = [{ type: 'Action.OpenUrl', title: 'View the run', url }];
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

/**
 * The generic webhook: a Slack-compatible `text` (so a Slack-style receiver shows it) and the
 * message as data under `driftguard` (strings inert, not escaped for any chat).
 */
export function webhookPayload(message: Message): Record<string, unknown> {
  const lines = [`DriftGuard: ${message.title}: ${message.summary}`, ...message.items.map((i) => `- ${i}`)];
  return {
    text: slackText(lines.join('\n'), 3000),
    driftguard: {
      event: message.event,
      title: inertText(message.title, 300),
      summary: inertText(message.summary, 3000),
      facts: Object.fromEntries(message.facts.map(([k, v]) => [inertText(k, 100), inertText(v, 300)])),
      items: message.items.map((i) => inertText(i, 300)),
      more: message.more,
      url: safeUrl(message.url),
    },
  };
}
