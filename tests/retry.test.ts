import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransient, retryAfterMs, withRetry } from '../src/retry.ts';

/** A loopback server that answers each path with a scripted list of statuses, then 200. */
let server: Server;
let base: string;
const scripts = new Map<string, Array<{ status: number; headers?: Record<string, string> }>>();
const hits = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    const times = hits.get(path) ?? [];
    times.push(Date.now());
    hits.set(path, times);
    const next = scripts.get(path)?.shift();
    if (next?.status === 0) {
      req.socket.destroy();
      return;
    }
    res.writeHead(next?.status ?? 200, { 'content-type': 'application/json', ...next?.headers });
    res.end(JSON.stringify({ ok: !next }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

class HttpError extends Error {
  constructor(readonly status: number, readonly headers: Headers) {
    super(`HTTP ${status}`);
  }
}

async function call(path: string): Promise<unknown> {
  const res = await fetch(base + path);
  if (!res.ok) throw new HttpError(res.status, res.headers);
  return res.json();
}

describe('withRetry against a loopback server', () => {
  it('retries 503s and network resets, then succeeds', async () => {
    scripts.set('/flaky', [{ status: 503 }, { status: 0 }, { status: 500 }]);
    await expect(withRetry(() => call('/flaky'), { minDelayMs: 5 })).resolves.toEqual({ ok: true });
    expect(hits.get('/flaky')).toHaveLength(4);
  });

  it('fails a permanent error at once', async () => {
    scripts.set('/denied', [{ status: 403 }, { status: 403 }]);
    await expect(withRetry(() => call('/denied'), { minDelayMs: 5 })).rejects.toMatchObject({ status: 403 });
    expect(hits.get('/denied')).toHaveLength(1);
  });

  it('is bounded in attempts', async () => {
    scripts.set('/down', Array.from({ length: 10 }, () => ({ status: 502 })));
    await expect(withRetry(() => call('/down'), { retries: 2, minDelayMs: 5 })).rejects.toMatchObject({ status: 502 });
    expect(hits.get('/down')).toHaveLength(3);
  });

  it('shows the first meaningful error, not the throttle that ended the retries', async () => {
    scripts.set('/broken-then-throttled', [{ status: 500 }, { status: 429 }, { status: 429 }]);
    const err = await withRetry(() => call('/broken-then-throttled'), { retries: 2, minDelayMs: 5 }).catch((e: unknown) => e as HttpError);
    expect(err).toMatchObject({ status: 500, message: 'HTTP 500 (then throttled until the retries ran out, 3 attempts: HTTP 429)' });
    // Only throttles: the last one is the reason.
    scripts.set('/only-throttled', [{ status: 429 }, { status: 429 }, { status: 429 }]);
    await expect(withRetry(() => call('/only-throttled'), { retries: 2, minDelayMs: 5 })).rejects.toMatchObject({ status: 429, message: 'HTTP 429' });
  });

  it('is bounded in total time', async () => {
    scripts.set('/slow-down', Array.from({ length: 50 }, () => ({ status: 429 })));
    const started = Date.now();
    await expect(withRetry(() => call('/slow-down'), { retries: 50, minDelayMs: 40, maxElapsedMs: 300 })).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hits.get('/slow-down')!.length).toBeLessThan(20);
  });

  it('honours Retry-After on 429', async () => {
    scripts.set('/throttled', [{ status: 429, headers: { 'retry-after': '1' } }]);
    await expect(withRetry(() => call('/throttled'), { minDelayMs: 5 })).resolves.toEqual({ ok: true });
    const [first, second] = hits.get('/throttled')!;
    expect(second! - first!).toBeGreaterThanOrEqual(950);
  });

  it('gives up when Retry-After asks for longer than allowed', async () => {
    scripts.set('/later', [{ status: 429, headers: { 'retry-after': '3600' } }]);
    await expect(withRetry(() => call('/later'), { minDelayMs: 5, maxRetryAfterMs: 1000 })).rejects.toMatchObject({ status: 429 });
    expect(hits.get('/later')).toHaveLength(1);
  });
});

describe('transient classification', () => {
  it.each([
    [{ $metadata: { httpStatusCode: 503 } }, true],
    [{ name: 'ThrottlingException', $metadata: {} }, true],
    [{ name: 'SlowDown' }, true],
    [{ code: 'ECONNRESET' }, true],
    [{ statusCode: 429 }, true],
    [{ status: 404 }, false],
    [{ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }, false],
    [{ name: 'NotAcceptable', $metadata: { httpStatusCode: 406 } }, false],
    [{ statusCode: 501 }, false],
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, false],
    [{ name: 'AbortError' }, false],
    [new Error('plain'), false],
  ])('%o -> %s', (err, expected) => {
    expect(isTransient(err)).toBe(expected);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs({ $response: { headers: { 'retry-after': '7' } } })).toBe(7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ response: { headers: { 'Retry-After': 'Thu, 01 Jan 2026 00:00:30 GMT' } } }, now)).toBe(30_000);
  });
});
