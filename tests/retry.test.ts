import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ResourceManagementClient } from '@azure/arm-resources';
import { Storage } from '@google-cloud/storage';
import { FAILURE_TABLE, httpStatusOf, isThrottle, isTransient, retryAfterMs, withRetry, type FailureRule } from '../src/retry.ts';
import { ARM_HOST, AzureServer } from './helpers/clouds/azure.ts';
import { GcsServer } from './helpers/clouds/gcs.ts';
import { MotoServer } from './helpers/clouds/moto.ts';
import { runCli } from './helpers/cli.ts';
import { armError, awsQueryError, FaultProxy, googleError, s3Error, type ProxiedRequest } from './helpers/fault-proxy.ts';

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

describe('withRetry in a process with nothing else to wait for', () => {
  it('keeps the process alive while it waits to retry, so the run ends with its own result, never a silent exit 0', async () => {
    const { build } = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'dg-retry-alive-'));
    const entry = join(dir, 'entry.ts');
    // One transient failure, then success: the only thing pending in between is the retry's wait.
    writeFileSync(entry, `import { withRetry } from ${JSON.stringify(join(process.cwd(), 'src', 'retry.ts'))};
process.exitCode = 7;
const value = await withRetry(async (attempt) => {
  if (attempt === 1) throw Object.assign(new Error('busy'), { $metadata: { httpStatusCode: 503 } });
  return 'second attempt';
}, { minDelayMs: 300, maxDelayMs: 300 });
process.stdout.write(value + '\\n');
process.exitCode = 0;
`);
    await build({ entryPoints: [entry], outfile: join(dir, 'entry.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
    const { spawnSync } = await import('node:child_process');
    const child = spawnSync(process.execPath, [join(dir, 'entry.mjs')], { encoding: 'utf8' });
    expect(child.stdout).toBe('second attempt\n');
    expect(child.status).toBe(0);
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

/**
 * One test per row of the failure table: the row's error, in its cloud's documented shape, is
 * answered once by a fault proxy in front of a real server (moto_server for AWS, loopback stand-ins
 * for ARM and GCS), to a real SDK client called through withRetry. Retryable rows succeed on the
 * second call; permanent rows fail after one.
 */
describe('the failure table, row by row, through real SDK clients', () => {
  let moto: MotoServer;
  let awsProxy: FaultProxy;
  let azure: AzureServer;
  let azureProxy: FaultProxy;
  let gcs: GcsServer;
  let gcsProxy: FaultProxy;
  let sts: STSClient;
  let s3: S3Client;
  let arm: ResourceManagementClient;
  let storage: Storage;
  const SUB = '11111111-2222-3333-4444-555555555555';

  beforeAll(async () => {
    moto = await new MotoServer().start();
    awsProxy = await new FaultProxy(moto.url).start();
    azure = await new AzureServer().start();
    azure.add(SUB, { name: 'dg-a', location: 'westeurope', tags: {} });
    azureProxy = await new FaultProxy(azure.url).start();
    gcs = await new GcsServer().start();
    gcs.add({ name: 'dg-cache', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-01T00:00:00.000Z', labels: {} });
    gcsProxy = await new FaultProxy(gcs.url).start();
    sts = new STSClient({ region: 'us-east-1', endpoint: awsProxy.url, credentials: moto.credentials, maxAttempts: 1 });
    s3 = new S3Client({ region: 'us-east-1', endpoint: awsProxy.url, credentials: moto.credentials, forcePathStyle: true, maxAttempts: 1 });
    const { createDefaultHttpClient } = await import('@azure/core-rest-pipeline');
    const inner = createDefaultHttpClient();
    arm = new ResourceManagementClient({ getToken: async () => ({ token: azure.acceptedToken, expiresOnTimestamp: Date.now() + 3_600_000 }) }, SUB, {
      endpoint: ARM_HOST,
      retryOptions: { maxRetries: 0 },
      httpClient: { sendRequest: (request) => ((request.url = request.url.replace(ARM_HOST, azureProxy.url)), (request.allowInsecureConnection = true), inner.sendRequest(request)) },
    });
    storage = new Storage({ projectId: 'dg-sandbox-1', apiEndpoint: gcsProxy.url, retryOptions: { autoRetry: false } });
  });
  afterAll(async () => {
    await Promise.all([awsProxy?.stop(), azureProxy?.stop(), gcsProxy?.stop(), azure?.stop(), gcs?.stop()]);
    await moto?.stop();
  });

  /** Codes S3 itself answers; the other AWS codes are answered to STS GetCallerIdentity. */
  const S3_CODES = new Set(['SlowDown', 'RequestTimeTooSkewed', 'InternalError', 'NotImplemented', 'RequestTimeout', 'ServiceUnavailable', 'SignatureDoesNotMatch']);
  /** The status each code comes with, as documented; the rest default by kind. */
  const STATUS: Record<string, number> = {
    SlowDown: 503, RequestLimitExceeded: 503, TooManyRequestsException: 429, BandwidthLimitExceeded: 509, PriorRequestNotComplete: 400,
    InternalError: 500, InternalFailure: 500, ServiceUnavailable: 503, RequestTimeout: 400, RequestTimeoutException: 408,
    RequestTimeTooSkewed: 403, NotImplemented: 501, AuthFailure: 401, InvalidSignatureException: 403, AccessDeniedException: 400,
    SignatureDoesNotMatch: 403, ServerBusy: 503, InternalServerError: 500, GatewayTimeout: 504, OperationTimedOut: 500,
    rateLimitExceeded: 429, userRateLimitExceeded: 403, backendError: 503, internalError: 500, RESOURCE_EXHAUSTED: 429,
    UNAVAILABLE: 503, DEADLINE_EXCEEDED: 504, quotaExceeded: 403, dailyLimitExceeded: 403,
  };
  const statusOf = (row: FailureRule) => row.status ?? STATUS[row.code!] ?? (row.cloud === 'azure' ? 429 : 400);

  /** Answers the row's error once, then calls the real client through withRetry; returns calls made and the outcome. */
  async function drive(row: FailureRule, extraHeaders: Record<string, string> = {}): Promise<{ calls: number; error?: unknown }> {
    const status = statusOf(row);
    let proxy: FaultProxy;
    let call: () => Promise<unknown>;
    if (row.cloud === 'aws' && S3_CODES.has(row.code!)) {
      proxy = awsProxy;
      proxy.clear();
      proxy.inject({ status, headers: extraHeaders, body: s3Error(row.code!) });
      call = () => s3.send(new ListBucketsCommand({}));
    } else if (row.cloud === 'aws') {
      proxy = awsProxy;
      proxy.clear();
      proxy.inject({ status, headers: extraHeaders, body: awsQueryError(row.code!, `${row.code} (injected)`, status >= 500 ? 'Receiver' : 'Sender') });
      call = () => sts.send(new GetCallerIdentityCommand({}));
    } else if (row.cloud === 'gcp') {
      proxy = gcsProxy;
      proxy.clear();
      const body = /^[A-Z_]+$/.test(row.code!) ? JSON.stringify({ error: { code: status, message: row.code, status: row.code } }) : googleError(status, row.code!);
      proxy.inject({ status, headers: extraHeaders, body });
      call = () => storage.bucket('dg-cache').getMetadata();
    } else {
      // Azure codes, and bare statuses (an ARM answer whose code the table does not know).
      proxy = azureProxy;
      proxy.clear();
      proxy.inject({ status, headers: { ...(status === 429 || status === 503 ? { 'retry-after': '0' } : {}), ...extraHeaders }, body: armError(row.code ?? 'UnlistedCondition') });
      call = () => arm.resourceGroups.get('dg-a');
    }
    try {
      await withRetry(call, { retries: 2, minDelayMs: 5, maxDelayMs: 20 });
      return { calls: proxy.count() };
    } catch (error) {
      return { calls: proxy.count(), error };
    }
  }

  const rows = FAILURE_TABLE.map((row) => [`${row.cloud} ${row.code ?? row.status} (${row.kind})`, row] as const);

  it.each(rows)('%s', async (_name, row) => {
    const { calls, error } = await drive(row);
    if (row.kind === 'throttle' || row.kind === 'transient') {
      expect(error, `expected a retry after ${row.code ?? row.status}`).toBeUndefined();
      expect(calls).toBe(2);
    } else if (row.kind === 'permanent') {
      expect(error).toBeDefined();
      expect(calls).toBe(1);
      expect(isTransient(error)).toBe(false);
      expect(httpStatusOf(error)).toBe(statusOf(row));
    } else {
      // skew: not retried as such...
      expect(error).toBeDefined();
      expect(calls).toBe(1);
      // ...but retried once the SDK has corrected its clock from the answer's Date (an hour ahead).
      const corrected = await drive(row, { date: new Date(Date.now() + 3_600_000).toUTCString() });
      expect(corrected.error).toBeUndefined();
      expect(corrected.calls).toBe(2);
    }
  });

  it('a throttle answered with a status AWS uses for client errors is still a throttle', async () => {
    awsProxy.clear();
    awsProxy.inject({ status: 400, body: awsQueryError('Throttling', 'Rate exceeded'), times: 3 });
    const err = await withRetry(() => sts.send(new GetCallerIdentityCommand({})), { retries: 2, minDelayMs: 5 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    expect(isThrottle(err)).toBe(true);
    expect(awsProxy.count()).toBe(3);
  });

  it('S3 with the runner an hour behind: 403 RequestTimeTooSkewed, the SDK corrects its offset, one retry succeeds', async () => {
    await new S3Client({ region: 'us-east-1', endpoint: moto.url, credentials: moto.credentials, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'dg-skewed' }));
    awsProxy.clear();
    awsProxy.serverClockOffsetMs = 3_600_000;
    const client = new S3Client({ region: 'us-east-1', endpoint: awsProxy.url, credentials: moto.credentials, forcePathStyle: true, maxAttempts: 1 });
    const out = await withRetry(() => client.send(new ListBucketsCommand({})), { minDelayMs: 5 });
    expect(out.Buckets?.map((b) => b.Name)).toContain('dg-skewed');
    expect(awsProxy.requests.map((r) => r.faulted)).toEqual([true, false]);
    awsProxy.serverClockOffsetMs = 0;
  });

  it('Azure: 429 with Retry-After in seconds is waited out', async () => {
    azureProxy.clear();
    azureProxy.inject({ status: 429, headers: { 'retry-after': '1' }, body: armError('TooManyRequests') });
    const started = Date.now();
    await expect(withRetry(() => arm.resourceGroups.get('dg-a'), { minDelayMs: 5 })).resolves.toMatchObject({ name: 'dg-a' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(azureProxy.count()).toBe(2);
  });

  it('Azure: 503 with retry-after-ms is waited out, and a wait beyond the limit ends the retries', async () => {
    azureProxy.clear();
    azureProxy.inject({ status: 503, headers: { 'retry-after-ms': '400' }, body: armError('ServiceUnavailable') });
    const started = Date.now();
    await expect(withRetry(() => arm.resourceGroups.get('dg-a'), { minDelayMs: 5 })).resolves.toMatchObject({ name: 'dg-a' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    azureProxy.clear();
    azureProxy.inject({ status: 429, headers: { 'x-ms-retry-after-ms': '600000' }, body: armError('TooManyRequests') });
    await expect(withRetry(() => arm.resourceGroups.get('dg-a'), { minDelayMs: 5, maxRetryAfterMs: 60_000 })).rejects.toMatchObject({ statusCode: 429 });
    expect(azureProxy.count()).toBe(1);
  });

  it('GCS: 403 userRateLimitExceeded is retried, 403 forbidden is not', async () => {
    gcsProxy.clear();
    gcsProxy.inject({ status: 403, body: googleError(403, 'userRateLimitExceeded', 'The user has exceeded their rate limit.') });
    await expect(withRetry(() => storage.bucket('dg-cache').getMetadata(), { minDelayMs: 5 })).resolves.toBeDefined();
    expect(gcsProxy.count()).toBe(2);
    gcsProxy.clear();
    gcsProxy.inject({ status: 403, body: googleError(403, 'forbidden', 'driftguard@ does not have storage.buckets.get access.') });
    await expect(withRetry(() => storage.bucket('dg-cache').getMetadata(), { minDelayMs: 5 })).rejects.toMatchObject({ code: 403 });
    expect(gcsProxy.count()).toBe(1);
  });
});

describe('the janitor through the CLI, on moto_server behind the fault proxy', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let dir: string;

  beforeAll(async () => {
    moto = await new MotoServer().start();
    proxy = await new FaultProxy(moto.url).start();
    dir = mkdtempSync(join(tmpdir(), 'dg-retry-'));
    writeFileSync(
      join(dir, 'policy.yaml'),
      `version: 1
dry_run: false
audit: { dir: audit }
workflows:
  schedule: [janitor]
modules:
  janitor:
    terraform: { enabled: false }
    providers:
      aws:
        accounts: ["${moto.account}"]
        regions: [us-east-1]
        resources: [s3_bucket]
        s3: { endpoint: "${proxy.url}", force_path_style: true }
        sts: { endpoint: "${proxy.url}" }
`,
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it('STS GetCallerIdentity answering 400 Throttling, and S3 an hour ahead of the runner: retried, the expired bucket deleted, exit 0', async () => {
    const admin = new S3Client({ region: 'us-east-1', endpoint: moto.url, credentials: moto.credentials, forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: 'dg-expired' }));
    await admin.send(new PutBucketTaggingCommand({ Bucket: 'dg-expired', Tagging: { TagSet: [{ Key: 'dg-expires-at', Value: '1700000000' }] } }));
    proxy.clear();
    const isIdentityCall = (r: ProxiedRequest) => r.body.includes('Action=GetCallerIdentity');
    proxy.inject({ match: isIdentityCall, status: 400, body: awsQueryError('Throttling', 'Rate exceeded'), times: 2 });
    proxy.serverClockOffsetMs = 3_600_000;
    const { code, stdout, stderr } = await runCli(['janitor'], { cwd: dir, env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' } });
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain('1 of 1 eligible resources deleted');
    expect(proxy.count(isIdentityCall)).toBe(3);
    // The S3 client's first call met the skew; every later one was signed with the corrected clock.
    const s3Calls = proxy.requests.filter((r) => !isIdentityCall(r));
    expect(s3Calls[0]!.faulted).toBe(true);
    expect(s3Calls.slice(1).every((r) => !r.faulted)).toBe(true);
    const buckets = await admin.send(new ListBucketsCommand({}));
    expect(buckets.Buckets ?? []).toEqual([]);
  });
});
