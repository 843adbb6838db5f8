import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { Redactor } from './redact.ts';
import { inertJsonLine, inertText } from './report/inert.ts';

export type Logger = PinoLogger;

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'runId']);

/** One JSON log line, made readable for a person at a terminal. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
  const level = (LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5);
  const where = typeof entry.module === 'string' ? ` [${entry.module}]` : '';
  const rest = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key) && key !== 'module')
    .map(([key, value]) => `${key}=${inertText(typeof value === 'string' ? value : JSON.stringify(value), 10_000)}`)
    .join(' ');
  return `${time} ${level}${where} ${inertText(String(entry.msg ?? ''), 10_000)}${rest ? `  ${rest}` : ''}\n`;
}

export interface LoggerOptions {
  level: string;
  redactor: Redactor;
  /** Where lines go; stderr by default, so stdout stays the report. */
  stream?: { write(line: string): unknown };
  pretty?: boolean;
  base?: Record<string, unknown>;
}

/**
 * JSON lines (pino) on stderr. Every line passes the redactor before it is written, on top of
 * pino's own path-based redaction of header and credential fields.
 */
export function createLogger(options: LoggerOptions): Logger {
  const target = options.stream ?? process.stderr;
  const stream: DestinationStream = {
    write(line: string) {
      target.write(options.pretty ? prettyLine(line) : line);
    },
  };
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.epochTime,
      redact: {
        paths: [
          '*.authorization',
          '*.Authorization',
          '*.headers.authorization',
          '*.headers.Authorization',
          '*.token',
          '*.apiKey',
          '*.password',
          '*.secret',
          'headers.authorization',
          'token',
          'apiKey',
        ],
        censor: '[REDACTED]',
      },
      // Scrubbed of secrets, and of characters that hide or reorder text (JSON escapes, same value).
      hooks: { streamWrite: (s: string) => inertJsonLine(options.redactor.scrub(s)) },
    },
    stream,
  );
}
