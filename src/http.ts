import { withRetry, type RetryOptions } from './retry.ts';

/**
 * One HTTP call through the shared retry policy. A non-2xx answer is an error carrying its status
 * and headers (so 429/5xx are retried and Retry-After is honoured) and naming `what` answered.
 */
export async function httpCall(what: string, url: string | URL, init: RequestInit, options: RetryOptions & { json?: boolean } = {}): Promise<Record<string, any>> {
  return withRetry(
    async () => {
      const response = await fetch(url, init);
      if (!response.ok) throw Object.assign(new Error(`${what} answered HTTP ${response.status}`), { status: response.status, headers: response.headers });
      if (options.json === false || response.status === 204) return {};
      return (await response.json()) as Record<string, any>;
    },
    { retries: 3, minDelayMs: 200, maxElapsedMs: 30_000, ...options },
  );
}
