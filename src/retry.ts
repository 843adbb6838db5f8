import pRetry, { AbortError } from 'p-retry';

const TRANSIENT_NETWORK = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENOTFOUND',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);
/**
 * How a failure is judged: `throttle` and `transient` are retried, `permanent` is not; `skew`
 * (a signature or access error that may come from a wrong clock) is retried only when the AWS
 * SDK has just corrected its clock offset from that very answer (`$metadata.clockSkewCorrected`).
 */
export type FailureKind = 'throttle' | 'transient' | 'skew' | 'permanent';

/**
 * One row of the failure table: a cloud's error code or reason (AWS `Code` / SDK error name,
 * Azure `error.code`, Google `errors[].reason` or status name), or an HTTP status. Codes are
 * consulted first, the status only when no code is known: AWS answers throttling as `400
 * Throttling`, GCS as `403 userRateLimitExceeded`, S3 a clock skew as `403 RequestTimeTooSkewed`.
 */
export interface FailureRule {
  cloud: 'aws' | 'azure' | 'gcp' | 'http';
  /** Error code or reason, compared exactly. */
  code?: string;
  status?: number;
  kind: FailureKind;
  why: string;
}

const aws = (code: string, kind: FailureKind, why: string): FailureRule => ({ cloud: 'aws', code, kind, why });
const azure = (code: string, kind: FailureKind, why: string): FailureRule => ({ cloud: 'azure', code, kind, why });
const gcp = (code: string, kind: FailureKind, why: string): FailureRule => ({ cloud: 'gcp', code, kind, why });
const http = (status: number, kind: FailureKind, why: string): FailureRule => ({ cloud: 'http', status, kind, why });

/**
 * The one failure table. AWS rows follow the SDK's own classification (@smithy service error
 * classification: throttling, transient and clock-skew codes) plus STS's IDPCommunicationError;
 * Azure rows follow ARM's throttling and transient codes; Google rows the JSON API reasons.
 */
export const FAILURE_TABLE: readonly FailureRule[] = [
  aws('Throttling', 'throttle', 'STS, IAM and other query APIs throttle with 400 Throttling'),
  aws('ThrottlingException', 'throttle', 'JSON APIs throttle with 400 ThrottlingException'),
  aws('ThrottledException', 'throttle', 'AWS SDK throttling code'),
  aws('TooManyRequestsException', 'throttle', 'Lambda, API Gateway and others throttle with 429 TooManyRequestsException'),
  aws('RequestLimitExceeded', 'throttle', 'EC2 throttles with 503 RequestLimitExceeded'),
  aws('EC2ThrottledException', 'throttle', 'EC2 throttling'),
  aws('RequestThrottled', 'throttle', 'SQS and others throttle with RequestThrottled'),
  aws('RequestThrottledException', 'throttle', 'AWS SDK throttling code'),
  aws('SlowDown', 'throttle', 'S3 throttles with 503 SlowDown'),
  aws('BandwidthLimitExceeded', 'throttle', 'AWS SDK throttling code'),
  aws('ProvisionedThroughputExceededException', 'throttle', 'DynamoDB and Kinesis throttle with 400 ProvisionedThroughputExceededException'),
  aws('LimitExceededException', 'throttle', 'the AWS SDK retries it as throttling'),
  aws('PriorRequestNotComplete', 'throttle', 'Route 53: an earlier change is still running'),
  aws('TransactionInProgressException', 'throttle', 'AWS SDK throttling code'),
  aws('RequestTimeout', 'transient', 'the request took too long to arrive'),
  aws('RequestTimeoutException', 'transient', 'the request took too long to arrive'),
  aws('InternalError', 'transient', 'S3 and others: 500 InternalError, retry'),
  aws('InternalFailure', 'transient', 'query APIs: 500 InternalFailure'),
  aws('ServiceUnavailable', 'transient', '503 ServiceUnavailable'),
  aws('IDPCommunicationError', 'transient', 'STS could not reach the identity provider (400); the same token works on retry'),
  aws('RequestTimeTooSkewed', 'transient', "S3: the client's clock is off; the SDK corrects its offset from the answer, so a retry succeeds"),
  aws('RequestExpired', 'transient', "the signature's time is too old; the SDK corrects its offset from the answer"),
  aws('RequestInTheFuture', 'transient', "the signature's time is in the future; the SDK corrects its offset from the answer"),
  aws('SignatureDoesNotMatch', 'skew', 'retried only when the SDK just corrected a clock skew'),
  aws('InvalidSignatureException', 'skew', 'retried only when the SDK just corrected a clock skew'),
  aws('AuthFailure', 'skew', 'retried only when the SDK just corrected a clock skew'),
  aws('AccessDeniedException', 'skew', 'retried only when the SDK just corrected a clock skew'),
  aws('NotImplemented', 'permanent', 'the endpoint will never support this call (501)'),
  aws('IDPRejectedClaim', 'permanent', "the role's trust policy rejects the token's claims"),
  aws('InvalidIdentityToken', 'permanent', 'STS refuses the OIDC token'),
  azure('TooManyRequests', 'throttle', 'ARM throttles with 429 and Retry-After'),
  azure('SubscriptionRequestsThrottled', 'throttle', 'ARM subscription-level throttling (429)'),
  azure('TenantRequestsThrottled', 'throttle', 'ARM tenant-level throttling (429)'),
  azure('ResourceRequestsThrottled', 'throttle', 'a resource provider throttles (429)'),
  azure('ServerBusy', 'throttle', 'Azure Storage: 503 ServerBusy'),
  azure('InternalServerError', 'transient', 'ARM 500'),
  azure('GatewayTimeout', 'transient', 'ARM 504'),
  azure('OperationTimedOut', 'transient', 'Azure: the operation timed out'),
  gcp('rateLimitExceeded', 'throttle', 'GCS: 429 (or 403) rateLimitExceeded'),
  gcp('userRateLimitExceeded', 'throttle', 'GCS: 403 userRateLimitExceeded'),
  gcp('backendError', 'transient', 'GCS: 500/503 backendError'),
  gcp('internalError', 'transient', 'GCS: 500 internalError'),
  gcp('RESOURCE_EXHAUSTED', 'throttle', 'Google APIs: status RESOURCE_EXHAUSTED (429)'),
  gcp('UNAVAILABLE', 'transient', 'Google APIs: status UNAVAILABLE (503)'),
  gcp('DEADLINE_EXCEEDED', 'transient', 'Google APIs: status DEADLINE_EXCEEDED (504)'),
  gcp('quotaExceeded', 'permanent', 'GCS: a quota, not a rate: waiting a few seconds does not help'),
  gcp('dailyLimitExceeded', 'permanent', 'Google APIs: the daily quota is spent'),
  http(408, 'transient', 'Request Timeout'),
  http(429, 'throttle', 'Too Many Requests (Azure and GitHub send Retry-After)'),
  http(500, 'transient', 'Internal Server Error'),
  http(502, 'transient', 'Bad Gateway'),
  http(503, 'transient', 'Service Unavailable (Azure sends Retry-After)'),
  http(504, 'transient', 'Gateway Timeout'),
  http(501, 'permanent', 'Not Implemented: the server will never support the call'),
  http(406, 'permanent', 'Not Acceptable: the same request gets the same answer'),
];

const BY_CODE = new Map(FAILURE_TABLE.filter((r) => r.code !== undefined).map((r) => [r.code!, r]));
const BY_STATUS = new Map(FAILURE_TABLE.filter((r) => r.status !== undefined).map((r) => [r.status!, r]));

type ErrorLike = {
  name?: string;
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  cause?: unknown;
  Code?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  $retryable?: unknown;
  $response?: { headers?: Record<string, string | undefined> };
  response?: { status?: number; headers?: unknown; data?: unknown };
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

/**
 * The wait a failure asks for, in milliseconds: Azure's `retry-after-ms` / `x-ms-retry-after-ms`,
 * else `Retry-After` in seconds or as an HTTP date; undefined when the failure carried none.
 */
export function retryAfterMs(err: unknown, now: number = Date.now()): number | undefined {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.retryAfterMs === 'number') return e.retryAfterMs;
  const sources = [e.$response?.headers, e.response?.headers, e.headers];
  // Azure sends its wait in milliseconds too (retry-after-ms, x-ms-retry-after-ms).
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = sources.map((h) => header(h, name)).find((v) => v !== undefined);
    if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  }
  const value = sources.map((h) => header(h, 'retry-after')).find((v) => v !== undefined);
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The cloud error codes and reasons a failure carries, most specific first. */
export function errorCodesOf(err: unknown): string[] {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return [];
  const codes: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length > 0 && !codes.includes(v)) codes.push(v);
  };
  // Google: reasons in errors[] (ApiError from @google-cloud/storage, or the raw JSON body in gaxios).
  const reasons = (list: unknown) => {
    if (Array.isArray(list)) for (const item of list) add((item as { reason?: unknown } | null)?.reason);
  };
  reasons(e.errors);
  const body = (e.response as { data?: { error?: { errors?: unknown; status?: unknown; code?: unknown } } } | undefined)?.data?.error;
  reasons(body?.errors);
  add(body?.status);
  add(e.Code);
  add(e.code);
  if (typeof e.name === 'string' && !GENERIC_NAMES.has(e.name)) add(e.name);
  return codes;
}

const GENERIC_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'RestError', 'ApiError', 'GaxiosError', 'HttpError', 'FetchError']);

/** The failure table's row for this failure: its code or reason first, then its HTTP status. */
export function classifyFailure(err: unknown): FailureRule | undefined {
  for (const code of errorCodesOf(err)) {
    const row = BY_CODE.get(code);
    if (row) return row;
  }
  const status = httpStatusOf(err);
  if (status === undefined) return undefined;
  return BY_STATUS.get(status) ?? (status >= 500 ? { cloud: 'http', status, kind: 'transient', why: 'a server error' } : { cloud: 'http', status, kind: 'permanent', why: 'a client error' });
}

/**
 * True for failures worth another attempt: by the failure table (the cloud's error code or
 * reason, then the HTTP status: 408, 429 and 5xx other than 501), network faults, and clock-skew
 * errors the AWS SDK has just corrected. 501 and 406 are permanent.
 */
export function isTransient(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'AbortError') return false;
  const row = classifyFailure(err);
  if (row) return row.kind === 'skew' ? e.$metadata?.clockSkewCorrected === true : row.kind !== 'permanent';
  if (typeof e.code === 'string' && TRANSIENT_NETWORK.has(e.code)) return true;
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
      // The wait between attempts keeps the process alive: with nothing else pending, an unref'd
      // timer would let Node exit mid-retry with exit code 0, as if the run had passed.
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
  return classifyFailure(err)?.kind === 'throttle';
}

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
