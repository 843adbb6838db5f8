import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../deps-types.ts';
import { describeError } from '../errors.ts';
import type { RunResult } from '../engine.ts';
import { inertText } from '../report/inert.ts';
import { withRetry } from '../retry.ts';
import { durationMs } from '../policy/types.ts';
import { slackPayload, teamsPayload, webhookPayload } from './format.ts';
import { messagesFor, type Message } from './message.ts';
import type { NotificationSettings, NotifyTarget } from './settings.ts';

/** What became of one message to one target; goes into the audit artifact (never the URL). */
export interface NotifyResult {
  target: string;
  event: Message['event'];
  status: 'sent' | 'failed' | 'skipped';
  detail?: string;
}

/** Sent messages per target, kept in the audit folder for the rate limit (a hidden file the report does not read). */
const STATE_FILE = '.driftguard-notifications.json';

export interface NotifyOptions {
  settings: NotificationSettings;
  result: RunResult;
  deps: Deps;
  /** The audit folder (absolute), where the rate limit's counts live. */
  auditDir: string;
  runUrl?: string;
  /** Dry run: nothing is sent; each message is recorded as skipped. */
  dryRun: boolean;
  /** Retry pacing; tests shorten it. */
  retry?: { retries?: number; minDelayMs?: number; maxElapsedMs?: number };
}

const targetName = (t: NotifyTarget, i: number) => t.name ?? `${t.kind}-${i + 1}`;

/**
 * Sends the run's notifications to every target that wants them. Never throws: a target whose
 * variable is unset, a rate limit reached, or a chat that keeps failing after the shared retries
 * (429 and 5xx are retried, Retry-After honoured) is a result with status `failed` or `skipped`
 * and a warning in the log. Each URL is registered with the redactor before anything is sent, so
 * it cannot reach a log line or an artifact.
 */
export async function notify(options: NotifyOptions): Promise<NotifyResult[]> {
  const { settings, deps } = options;
  if (!settings.enabled || settings.targets.length === 0) return [];
  const messages = messagesFor(options.result, options.runUrl);
  if (messages.length === 0) return [];
  const results: NotifyResult[] = [];
  const state = await readState(options.auditDir);
  const now = deps.now().getTime();
  for (const [i, target] of settings.targets.entries()) {
    const name = targetName(target, i);
    const wanted = messages.filter((m) => target.events.includes(m.event));
    if (wanted.length === 0) continue;
    const url = deps.env[target.url_env]?.trim();
    if (url) deps.redactor.add(url);
    if (options.dryRun) {
      for (const m of wanted) results.push({ target: name, event: m.event, status: 'skipped', detail: 'dry run: not sent' });
      continue;
    }
    if (!url || !/^https?:\/\//i.test(url)) {
      const why = url ? `${target.url_env} does not hold an http(s) URL` : `${target.url_env} is not set`;
      for (const m of wanted) results.push({ target: name, event: m.event, status: 'skipped', detail: why });
      deps.log.warn({ target: name, why }, 'notification not sent');
      continue;
    }
    const window = durationMs(target.rate_limit.per);
    const sent = (state[name] ?? []).filter((t) => t > now - window);
    for (const message of wanted) {
      if (sent.length >= target.rate_limit.max) {
        const why = `rate limit: ${target.rate_limit.max} messages per ${target.rate_limit.per} already sent`;
        results.push({ target: name, event: message.event, status: 'skipped', detail: why });
        deps.log.warn({ target: name, event: message.event, why }, 'notification not sent');
        continue;
      }
      const payload = target.kind === 'slack' ? slackPayload(message) : target.kind === 'teams' ? teamsPayload(message) : webhookPayload(message);
      try {
        await post(url, payload, target.kind, options.retry);
        sent.push(now);
        results.push({ target: name, event: message.event, status: 'sent' });
        deps.log.info({ target: name, event: message.event }, 'notification sent');
      } catch (err) {
        const detail = deps.redactor.scrub(describeError(err));
        results.push({ target: name, event: message.event, status: 'failed', detail });
        deps.log.warn({ target: name, event: message.event, error: detail }, 'notification failed (the run goes on)');
      }
    }
    state[name] = sent;
  }
  await writeState(options.auditDir, state).catch((err: unknown) => deps.log.warn({ error: describeError(err) }, 'notification rate-limit counts not saved'));
  return results;
}

/**
 * POSTs one payload, retried through the shared helper. Taken means HTTP 2xx and, from Slack or
 * a generic webhook, an empty body, `ok`, `1` or JSON `{"ok": true}` (Teams workflows answer 202
 * with any body). Errors carry the status and headers, never the URL.
 */
async function post(url: string, payload: unknown, kind: NotifyTarget['kind'], retry: NotifyOptions['retry'] = {}): Promise<void> {
  const text = await withRetry(
    async () => {
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), redirect: 'error', signal: AbortSignal.timeout(15_000) });
      } catch (err) {
        // fetch's own message can name the address: keep only its cause's code.
        const code = (err as { cause?: { code?: string } }).cause?.code;
        throw Object.assign(new Error(`the webhook could not be reached${code ? ` (${code})` : ''}`), { code });
      }
      if (!response.ok) throw Object.assign(new Error(`the webhook answered HTTP ${response.status}`), { status: response.status, headers: response.headers });
      return (await response.text()).trim();
    },
    { retries: retry?.retries ?? 3, minDelayMs: retry?.minDelayMs ?? 250, maxElapsedMs: retry?.maxElapsedMs ?? 20_000, maxRetryAfterMs: 30_000 },
  );
  if (kind === 'teams' || text === '' || /^(ok|1)$/i.test(text)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && (parsed as { ok?: unknown }).ok === true) return;
  throw new Error(`the webhook answered an unexpected body: ${inertText(text, 200)}`);
}

async function readState(dir: string): Promise<Record<string, number[]>> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).filter((n): n is number => typeof n === 'number')]));
  } catch {
    return {};
  }
}

async function writeState(dir: string, state: Record<string, number[]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${STATE_FILE}.${process.pid}.tmp`);
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, join(dir, STATE_FILE));
}
