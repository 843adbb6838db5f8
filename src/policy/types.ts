import * as z from 'zod';
import { DURATION_HINT, parseDuration } from '../duration.ts';

const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/** Characters a reader cannot see (controls, format characters such as zero-width spaces and bidi marks, blank look-alikes). */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]/gu;

/** Text with every invisible character shown as `\u{XXXX}`, so that two keys that look alike read differently. */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `"${showInvisible(JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value).slice(1, -1))}"`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Every zod message in DriftGuard reads "expected X, got Y", naming the offending value. */
export function describeIssue(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return `is required (expected ${iss.expected})`;
      return `expected ${iss.expected === 'object' ? 'a mapping' : iss.expected === 'array' ? 'a list' : iss.expected}, got ${show(iss.input)}`;
    case 'invalid_value':
      if (iss.input === undefined) return `is required (expected ${iss.values.map((v) => JSON.stringify(v)).join(' or ')})`;
      return `expected ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${show(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'string') return `expected at least ${String(iss.minimum)} characters, got ${show(iss.input)}`;
      if (iss.origin === 'array') return `expected at least ${String(iss.minimum)} entries`;
      return `expected at least ${String(iss.minimum)}, got ${show(iss.input)}`;
    case 'too_big':
      if (iss.origin === 'string') return `too long: expected at most ${String(iss.maximum)} characters, got ${String((iss.input as string | undefined)?.length ?? '?')}`;
      if (iss.origin === 'array') return `too many entries: expected at most ${String(iss.maximum)}, got ${String((iss.input as unknown[] | undefined)?.length ?? '?')}`;
      return `too large: expected at most ${String(iss.maximum)}, got ${show(iss.input)}`;
    case 'invalid_format':
      return `expected ${iss.format === 'regex' ? 'text matching ' + String(iss.pattern) : iss.format}, got ${show(iss.input)}`;
    default:
      return undefined;
  }
}

// jitless: a policy is validated once per run, and compiling each object schema into a function
// (zod's JIT) costs more at start-up than it saves on one parse.
z.config({ customError: describeIssue, jitless: true });

export const Duration = z
  .string({ error: (iss) => `expected ${DURATION_HINT}, got ${show(iss.input)}` })
  .regex(DURATION_PATTERN, { error: (iss) => `expected ${DURATION_HINT}, got ${show(iss.input)}`, abort: true })
  .refine((text) => parseDuration(text) !== undefined, { error: (iss) => `expected a duration above zero, got ${show(iss.input)}` })
  .describe('A duration: digits followed by ms, s, m, h, d or w, e.g. "24h", "90m", "1h30m", "7d".');
export type Duration = z.infer<typeof Duration>;

/** Durations in the policy are validated up front, so a missing value here is a programming error. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`invalid duration reached the engine: ${text}`);
  return ms;
}

export const OnFail = z.enum(['block', 'warn']).describe('block: a failing step fails the run (exit 1); warn: it is reported and the run passes.');
export type OnFail = z.infer<typeof OnFail>;

/** Keys every module slice accepts, on top of its own. */
export const CommonModuleConfig = {
  on_fail: OnFail.default('block'),
  timeout: Duration.default('10m').describe('How long one step of this module may run before it counts as an error.'),
};

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;
