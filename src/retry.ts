import pRetry, { AbortError } from 'p-retry';

const TRANSIENT_NETWORK = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);
/** Throttling and transient-fault codes across AWS, Azure, Google and GitHub. */
const TRANSIENT_CODES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'ServiceUnavailable', 'InternalError', 'InternalFailure',
  'RequestTimeout', 'RequestTimeoutException', 'PriorRequestNotComplete', 'EC2ThrottledException', 'BandwidthLimitExceeded',
  'TooManyRequests', 'ServerBusy', 'OperationTimedOut', 'rateLimitExceeded', 'userRateLimitExceeded', 'backendError',
  'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'DEADLINE_EXCEEDED',
]);

type ErrorLike = {
  name?: string;
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  $response?: { headers?: Record<string, string | undefined> };
  response?: { status?: number; headers?: unknown };
  headers?: unknown;
  retryAfterMs?: unknown;
};

export function httpStatusOf(err: unknown): number | undefined {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return undefined;
  for (const candidate of [e.$metadata?.httpStatusCode, e.status, e.statusCode, e.response?.status, typeof e.code === 'number' ? e.code : undefined]) {
    if (typeof candidate === 'number' && candidate >= 100 && candidate < 600) return candidate;
  }
  return undefined;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : value == null ? undefined : String(value);
  }
  return undefined;
}

/** Retry-After in milliseconds, from seconds or an HTTP date, when the failure carried one. */
export function retryAfterMs(err: unknown, now: number = Date.now()): number | undefined {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.retryAfterMs === 'number') return e.retryAfterMs;
  const value = header(e.$response?.headers, 'retry-after') ?? header(e.response?.headers, 'retry-after') ?? header(e.headers, 'retry-after');
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * True for failures worth another attempt: network faults, 408/429/5xx, cloud throttling codes.
 * 501 Not Implemented is the one 5xx that is permanent: the server will never support the call.
 */
export function isTransient(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'AbortError') return false;
  const status = httpStatusOf(err);
  if (status !== undefined) return status === 408 || status === 429 || (status >= 500 && status !== 501);
  if (typeof e.code === 'string' && (TRANSIENT_NETWORK.has(e.code) || TRANSIENT_CODES.has(e.code))) return true;
  if (typeof e.name === 'string' && TRANSIENT_CODES.has(e.name)) return true;
  if (e.$retryable) return true;
  if (e.name === 'TimeoutError') return true;
  if (e instanceof TypeError && /fetch failed|network|socket/i.test(e.message)) return true;
  if (e.cause && e.cause !== err) return isTransient(e.cause);
  return false;
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Total time budget across attempts and waits. */
  maxElapsedMs?: number;
  /** Longest Retry-After that is honoured; a longer one ends the retries. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  isTransient?: (err: unknown) => boolean;
  onRetry?: (info: { attempt: number; error: unknown; waitMs: number }) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });

/**
 * The one retry policy for every external call: exponential backoff with jitter, only for
 * transient failures, bounded in attempts and in total time; a Retry-After is waited out.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const classify = options.isTransient ?? isTransient;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const minDelay = options.minDelayMs ?? 250;
  const failures: unknown[] = [];
  return pRetry(
    async (attempt) => {
      try {
        return await operation(attempt);
      } catch (err) {
        failures.push(err);
        if (!classify(err)) throw new AbortError(err instanceof Error ? err : new Error(String(err)));
        const wait = retryAfterMs(err);
        if (wait !== undefined && wait > maxRetryAfter) throw new AbortError(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
    },
    {
      retries: options.retries ?? 4,
      factor: 2,
      minTimeout: minDelay,
      maxTimeout: options.maxDelayMs ?? 8_000,
      randomize: true,
      maxRetryTime: options.maxElapsedMs ?? 60_000,
      signal: options.signal,
      unref: true,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0) return;
        // p-retry applies its own backoff after this; waiting here adds what Retry-After asks beyond it.
        const asked = retryAfterMs(error) ?? 0;
        const extra = Math.max(0, asked - minDelay * 2 ** (attemptNumber - 1));
        options.onRetry?.({ attempt: attemptNumber, error, waitMs: asked });
        await sleep(extra, options.signal);
      },
    },
  ).catch((err: unknown) => {
    throw firstMeaningful(err, failures);
  });
}

/** Throttling (429, SlowDown, RequestLimitExceeded, ...): says how busy the service is, not what went wrong. */
export function isThrottle(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return false;
  if (httpStatusOf(err) === 429) return true;
  return [e.name, e.code].some((c) => typeof c === 'string' && THROTTLE_CODES.has(c));
}

const THROTTLE_CODES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled',
  'RequestThrottledException', 'SlowDown', 'EC2ThrottledException', 'BandwidthLimitExceeded', 'TooManyRequests', 'rateLimitExceeded',
  'userRateLimitExceeded', 'RESOURCE_EXHAUSTED',
]);

/**
 * When the retries end on a throttle after an earlier attempt failed for a real reason, that
 * reason is what the user needs: it is rethrown, its message noting the throttling that followed.
 */
function firstMeaningful(final: unknown, failures: readonly unknown[]): unknown {
  if (failures.length < 2 || !isThrottle(final)) return final;
  const first = failures.find((f) => !isThrottle(f));
  if (!(first instanceof Error)) return final;
  const last = final instanceof Error ? final.message.split('\n')[0] : String(final);
  first.message = `${first.message} (then throttled until the retries ran out, ${failures.length} attempts: ${last})`;
  return first;
}
