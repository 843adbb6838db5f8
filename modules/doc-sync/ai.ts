import * as z from 'zod';
import { describeError } from '../../src/errors.ts';
import { withRetry, httpStatusOf } from '../../src/retry.ts';
import type { Logger } from '../../src/log.ts';
import { durationMs } from '../../src/policy/types.ts';
import type { GuardResult, HunkRecord } from './guard.ts';
import { isAddedLine } from './guard.ts';
import type { AiConfig } from './schema.ts';

/** What the model is asked to return; kept minimal so that small models follow it. */
const RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    findings: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          file: { type: 'string' },
          line: { type: 'integer' },
          name: { type: 'string' },
          kind: { type: 'string' },
          reason: { type: 'string' },
          suggested_doc: { type: 'string' },
        },
        required: ['file', 'line', 'name', 'kind', 'reason'],
      },
    },
  },
  required: ['findings'],
} as const;

const AiAnswer = z.object({
  findings: z
    .array(
      z.object({
        file: z.string().min(1),
        line: z.number().int().positive(),
        name: z.string().min(1).max(200),
        kind: z.string().min(1).max(80),
        reason: z.string().max(2000),
        suggested_doc: z.string().max(4000).optional(),
      }),
    )
    .max(500),
});
export type AiFinding = z.infer<typeof AiAnswer>['findings'][number];

export type AiResult =
  | { status: 'ok'; findings: AiFinding[]; dropped: number; leftOut: string[]; model: string }
  | { status: 'unavailable'; reason: string; leftOut: string[]; model: string };

export interface Prompt {
  text: string;
  /** Files with added lines that did not fit the budget. */
  leftOut: string[];
  /** Hunks sent, for checking the answer against what the model saw. */
  sent: HunkRecord[];
}

const CHARS_PER_TOKEN = 4;

/**
 * Shrinks the change to the token budget, deterministically: hunks the guard flagged first, then
 * code, then the rest, each group in diff order. What does not fit is listed by name.
 */
export function buildPrompt(guard: GuardResult, outline: readonly string[], config: AiConfig): Prompt {
  const budget = config.max_input_tokens * CHARS_PER_TOKEN;
  const rank = (h: HunkRecord) => (h.flagged ? 0 : h.code ? 1 : 2);
  const ordered = guard.hunks.map((h, i) => ({ h, i })).sort((a, b) => rank(a.h) - rank(b.h) || a.i - b.i);
  const outlineText = outline.slice(0, 200).join('\n');
  let used = outlineText.length + 1500;
  const sent: HunkRecord[] = [];
  for (const { h } of ordered) {
    if (used + h.chars > budget) continue;
    sent.push(h);
    used += h.chars;
  }
  const sentFiles = new Set(sent.map((h) => h.file));
  const readFiles = guard.files.filter((f) => !f.skipped).map((f) => f.path);
  const leftOut = readFiles.filter((f) => guard.added.has(f) && (!sentFiles.has(f) || guard.unkept.has(f) || guard.hunks.some((h) => h.file === f && !sent.includes(h))));
  sent.sort((a, b) => guard.hunks.indexOf(a) - guard.hunks.indexOf(b));
  const diff = sent
    .map((h) => [`### ${h.file}${h.header ? ` (${h.header})` : ''}`, ...h.lines.map((l) => `${String(l.line).padStart(5)} ${l.added ? '+' : ' '} ${l.text}`)].join('\n'))
    .join('\n\n');
  const text = [
    'You review a code change for things its users must now know: new environment variables, command-line flags, configuration keys, HTTP routes, and other public surface.',
    'Report only what the added lines (marked "+") introduce and the documentation outline below does not appear to cover.',
    'Each finding names the file and the new-side line number shown at the start of the line, the name exactly as written in the code, its kind, why users need to know, and a short suggested documentation sentence.',
    'Answer with JSON only, matching the response schema. Return {"findings": []} when nothing is missing.',
    '',
    '## Documentation outline',
    outlineText || '(no documentation files found)',
    '',
    '## Change (new-side line numbers)',
    diff || '(no readable hunks)',
    leftOut.length ? `\n## Files left out for size\n${leftOut.join('\n')}` : '',
  ].join('\n');
  return { text, leftOut, sent };
}

/** The slice of @google/genai that DriftGuard uses. */
export interface GeminiClient {
  models: {
    generateContent(request: {
      model: string;
      contents: string;
      config: Record<string, unknown>;
    }): Promise<{ text?: string; candidates?: Array<{ finishReason?: string }>; promptFeedback?: { blockReason?: string } }>;
  };
}

export async function createGeminiClient(apiKey: string, baseUrl: string | undefined, timeoutMs: number): Promise<GeminiClient> {
  const { GoogleGenAI } = await import('@google/genai');
  return new GoogleGenAI({
    apiKey,
    httpOptions: { ...(baseUrl ? { baseUrl } : {}), timeout: timeoutMs, retryOptions: { attempts: 1 } },
  }) as unknown as GeminiClient;
}

export interface AskOptions {
  client: GeminiClient;
  prompt: Prompt;
  guard: GuardResult;
  config: AiConfig;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Asks Gemini, with the shared retry policy inside the policy's time budget. Any failure (network,
 * 429/5xx after retries, time-out, empty or truncated text, JSON that does not fit the schema)
 * comes back as `unavailable` with the reason: the caller then stands on the guard alone.
 */
export async function askGemini(options: AskOptions): Promise<AiResult> {
  const { client, prompt, guard, config, log } = options;
  const budget = AbortSignal.any([options.signal, AbortSignal.timeout(durationMs(config.timeout))]);
  const base = { leftOut: prompt.leftOut, model: config.model };
  let response;
  try {
    response = await withRetry(
      () =>
        client.models.generateContent({
          model: config.model,
          contents: prompt.text,
          config: {
            responseMimeType: 'application/json',
            responseSchema: RESPONSE_SCHEMA,
            maxOutputTokens: config.max_output_tokens,
            temperature: 0,
            abortSignal: budget,
          },
        }),
      {
        retries: 3,
        minDelayMs: 200,
        maxDelayMs: 4000,
        maxElapsedMs: durationMs(config.timeout),
        maxRetryAfterMs: durationMs(config.timeout),
        signal: budget,
        onRetry: ({ attempt, error }) => log.warn({ attempt, status: httpStatusOf(error), error: describeError(error) }, 'gemini call failed, retrying'),
      },
    );
  } catch (err) {
    if (budget.aborted && !options.signal.aborted) return { status: 'unavailable', reason: `no answer within ${config.timeout}`, ...base };
    const status = httpStatusOf(err);
    return { status: 'unavailable', reason: status ? `Gemini answered HTTP ${status}: ${describeError(err).slice(0, 200)}` : `Gemini call failed: ${describeError(err).slice(0, 200)}`, ...base };
  }
  const finish = response.candidates?.[0]?.finishReason;
  if (response.promptFeedback?.blockReason) return { status: 'unavailable', reason: `Gemini blocked the prompt (${response.promptFeedback.blockReason})`, ...base };
  if (finish === 'MAX_TOKENS') return { status: 'unavailable', reason: 'the answer was cut off at max_output_tokens', ...base };
  if (finish && !['STOP', 'FINISH_REASON_UNSPECIFIED'].includes(finish)) return { status: 'unavailable', reason: `Gemini stopped early (${finish})`, ...base };
  let text: string | undefined;
  try {
    text = response.text;
  } catch {
    text = undefined;
  }
  if (!text || text.trim() === '') return { status: 'unavailable', reason: 'Gemini returned no text', ...base };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: 'unavailable', reason: 'Gemini returned text that is not JSON', ...base };
  }
  const parsed = AiAnswer.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { status: 'unavailable', reason: `Gemini's JSON does not fit the schema (${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'})`, ...base };
  }
  const sentLines = new Set(prompt.sent.flatMap((h) => h.lines.filter((l) => l.added).map((l) => `${h.file}:${l.line}`)));
  const real = parsed.data.findings.filter((f) => sentLines.has(`${f.file}:${f.line}`) && isAddedLine(guard, f.file, f.line));
  return { status: 'ok', findings: real, dropped: parsed.data.findings.length - real.length, ...base };
}
