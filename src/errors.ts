/** Documented exit codes. Only the CLI entry point turns these into a process exit. */
export const ExitCode = {
  pass: 0,
  blocked: 1,
  usage: 2,
  incomplete: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'usage'
  | 'policy_invalid'
  | 'policy_unreadable'
  | 'payload_invalid'
  | 'git_failed'
  | 'io_failed'
  | 'run_incomplete'
  | 'auth_refused';

const exitFor: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  policy_invalid: ExitCode.usage,
  policy_unreadable: ExitCode.usage,
  payload_invalid: ExitCode.usage,
  auth_refused: ExitCode.usage,
  git_failed: ExitCode.incomplete,
  io_failed: ExitCode.incomplete,
  run_incomplete: ExitCode.incomplete,
};

/**
 * An error meant for the user: its message is printed as it is, without a stack trace.
 * `details` are extra lines (one problem each) printed under the message.
 */
export class DriftGuardError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriftGuardError';
    this.code = code;
    this.exitCode = exitFor[code];
    this.details = options.details ?? [];
  }
}

export function isDriftGuardError(err: unknown): err is DriftGuardError {
  return err instanceof DriftGuardError;
}

/** A short, single-line description of any thrown value, for reports and logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // Cloud SDKs name the error (AccessDenied, NoSuchBucket) in `name`, Node in `code`.
    const tag = typeof code === 'string' ? code : err.name && !/^(Error|TypeError|RangeError)$/.test(err.name) ? err.name : undefined;
    const prefix = tag && !(err instanceof DriftGuardError) && !err.message.includes(tag) ? `${tag}: ` : '';
    return `${prefix}${err.message}`.split('\n')[0] ?? String(err);
  }
  return String(err);
}
