import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import S3rver from 's3rver';

const require = createRequire(import.meta.url);

interface ExtraVersion {
  Key: string;
  VersionId: string;
  IsDeleteMarker: boolean;
}

type KoaContext = {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
  req: NodeJS.ReadableStream;
  store: { listObjects(bucket: string, options: Record<string, unknown>): Promise<{ objects: Array<{ key: string; lastModified: Date; size: number }> }>; deleteObject(bucket: string, key: string): Promise<void>; existsObject(bucket: string, key: string): Promise<boolean>; getBucket(bucket: string): Promise<unknown> };
};

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const error = (ctx: KoaContext, status: number, code: string, message: string) => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = xml(`<Error><Code>${code}</Code><Message>${message}</Message><RequestId>dg-test</RequestId></Error>`);
};

async function readBody(ctx: KoaContext): Promise<string> {
  let raw = '';
  for await (const chunk of ctx.req) raw += chunk.toString();
  return raw;
}

/** The S3 operation a request is, named as the API names it. */
export function operationOf(method: string, path: string, query: Record<string, unknown>): string {
  const [, bucket, ...rest] = path.split('/');
  const has = (k: string) => k in query;
  if (!bucket) return 'ListBuckets';
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) {
    const sub = ['tagging', 'location', 'object-lock', 'versioning', 'versions', 'uploads', 'delete'].find(has);
    const names: Record<string, Record<string, string>> = {
      tagging: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' },
      location: { GET: 'GetBucketLocation' },
      'object-lock': { GET: 'GetObjectLockConfiguration', PUT: 'PutObjectLockConfiguration' },
      versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
      versions: { GET: 'ListObjectVersions' },
      uploads: { GET: 'ListMultipartUploads' },
      delete: { POST: 'DeleteObjects' },
    };
    if (sub) return names[sub]![method] ?? `${method} ?${sub}`;
    return { GET: has('list-type') ? 'ListObjectsV2' : 'ListObjects', HEAD: 'HeadBucket', PUT: 'CreateBucket', DELETE: 'DeleteBucket' }[method] ?? method;
  }
  if (has('uploadId')) return method === 'DELETE' ? 'AbortMultipartUpload' : `${method} upload`;
  return { GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' }[method] ?? method;
}

/**
 * s3rver on loopback, extended through its Koa middleware with what it lacks and the janitor
 * needs: bucket tagging, ListObjectVersions (its objects as "null" versions, plus noncurrent
 * versions and delete markers seeded by tests), multipart upload listing, Object Lock
 * configuration, a DeleteObjects that honours version ids, and fault injection.
 */
export class S3Server {
  readonly tags = new Map<string, Record<string, string>>();
  /** Tags that change under the janitor's feet: each read of a bucket's tags takes the next set. */
  readonly tagSchedule = new Map<string, Array<Record<string, string>>>();
  readonly versions = new Map<string, ExtraVersion[]>();
  readonly uploads = new Map<string, Array<{ Key: string; UploadId: string }>>();
  /** Buckets with Object Lock on whose every version is retained: deleting one is refused. */
  readonly locked = new Set<string>();
  /** Buckets whose tags answer AccessDenied. */
  readonly tagsDenied = new Set<string>();
  readonly requests: Array<{ method: string; path: string; query: string; operation: string; securityToken?: string }> = [];
  /** Operations this endpoint answers with 501 NotImplemented, as some S3-compatible stores do. */
  readonly notImplemented = new Set<string>();
  /** Operation -> buckets for which it always answers 500 InternalError. */
  readonly failing = new Map<string, Set<string>>();
  /** Operation -> milliseconds each request of it takes. */
  readonly delays = new Map<string, number>();
  /** Operation -> the most requests of it in flight at once. */
  readonly maxInFlight = new Map<string, number>();
  /** Versioned buckets with MFA delete on: deleting a version without the owner's MFA is refused. */
  readonly mfaDelete = new Set<string>();
  private inFlight = new Map<string, number>();
  faults = { rate: 0, seed: 1 };
  private server: S3rver | undefined;
  private dir = '';
  url = '';

  private random(): number {
    // Deterministic: the same faults on every run of a test.
    this.faults.seed = (this.faults.seed * 1103515245 + 12345) % 2147483648;
    return this.faults.seed / 2147483648;
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'dg-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: this.dir, configureBuckets: [] } as never);
    const stack = (server as unknown as { middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>> }).middleware;
    const fault = async (ctx: KoaContext, next: () => Promise<void>) => {
      const securityToken = (ctx as unknown as { get(h: string): string }).get('x-amz-security-token') || undefined;
      const operation = operationOf(ctx.method, ctx.path, ctx.query);
      this.requests.push({ method: ctx.method, path: ctx.path, query: new URLSearchParams(ctx.query as Record<string, string>).toString(), operation, ...(securityToken ? { securityToken } : {}) });
      const inFlight = (this.inFlight.get(operation) ?? 0) + 1;
      this.inFlight.set(operation, inFlight);
      this.maxInFlight.set(operation, Math.max(this.maxInFlight.get(operation) ?? 0, inFlight));
      try {
        const delay = this.delays.get(operation);
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (this.notImplemented.has(operation)) return error(ctx, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
        if (this.failing.get(operation)?.has(ctx.path.split('/')[1] ?? '')) return error(ctx, 500, 'InternalError', 'We encountered an internal error. Please try again.');
        if (this.faults.rate > 0 && this.random() < this.faults.rate) {
          const pick = this.random();
          if (pick < 0.4) return error(ctx, 503, 'SlowDown', 'Please reduce your request rate.');
          if (pick < 0.7) return error(ctx, 500, 'InternalError', 'We encountered an internal error. Please try again.');
          return error(ctx, 503, 'ServiceUnavailable', 'Service is unable to handle request.');
        }
        return await next();
      } finally {
        this.inFlight.set(operation, this.inFlight.get(operation)! - 1);
      }
    };
    stack.splice(1, 0, fault);
    stack.splice(stack.length - 1, 0, (ctx, next) => this.extension(ctx, next));
    const address = (await server.run()) as unknown as { port: number };
    this.server = server;
    this.url = `http://127.0.0.1:${address.port}`;
    return this;
  }

  private async extension(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
    const [, bucket, ...rest] = ctx.path.split('/');
    const key = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
    const q = ctx.query;
    if (!bucket) return next();
    const exists = async () => Boolean(await ctx.store.getBucket(bucket));
    if (!key && 'tagging' in q) {
      if (!(await exists())) return error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      if (this.tagsDenied.has(bucket)) return error(ctx, 403, 'AccessDenied', 'Access Denied');
      if (ctx.method === 'GET') {
        const schedule = this.tagSchedule.get(bucket);
        if (schedule && schedule.length > 0) this.tags.set(bucket, schedule.length > 1 ? schedule.shift()! : schedule[0]!);
        const tags = this.tags.get(bucket);
        if (!tags) return error(ctx, 404, 'NoSuchTagSet', 'The TagSet does not exist');
        ctx.type = 'application/xml';
        ctx.body = xml(`<Tagging><TagSet>${Object.entries(tags).map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`);
        return;
      }
      if (ctx.method === 'PUT') {
        const body = await readBody(ctx);
        const tags: Record<string, string> = {};
        for (const m of body.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)) tags[m[1]!] = m[2]!;
        this.tags.set(bucket, tags);
        ctx.status = 204;
        return;
      }
    }
    if (!key && 'object-lock' in q && ctx.method === 'GET') {
      if (!this.locked.has(bucket)) return error(ctx, 404, 'ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket');
      ctx.type = 'application/xml';
      ctx.body = xml('<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>');
      return;
    }
    if (!key && 'versioning' in q && ctx.method === 'GET') {
      if (!(await exists())) return error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      const versioned = this.mfaDelete.has(bucket) || (this.versions.get(bucket)?.length ?? 0) > 0;
      ctx.type = 'application/xml';
      ctx.body = xml(`<VersioningConfiguration>${versioned ? '<Status>Enabled</Status>' : ''}${this.mfaDelete.has(bucket) ? '<MfaDelete>Enabled</MfaDelete>' : ''}</VersioningConfiguration>`);
      return;
    }
    if (!key && 'versions' in q && ctx.method === 'GET') {
      if (!(await exists())) return error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      const { objects } = await ctx.store.listObjects(bucket, {});
      const entries = [
        ...objects.map((o) => ({ Key: o.key, VersionId: 'null', IsDeleteMarker: false, size: o.size })),
        ...(this.versions.get(bucket) ?? []).map((v) => ({ ...v, size: 1 })),
      ].sort((a, b) => (a.Key === b.Key ? a.VersionId.localeCompare(b.VersionId) : a.Key < b.Key ? -1 : 1));
      const maxKeys = Number(q['max-keys'] ?? 1000);
      const keyMarker = q['key-marker'] as string | undefined;
      const versionMarker = q['version-id-marker'] as string | undefined;
      const start = keyMarker === undefined ? 0 : entries.findIndex((e) => e.Key > keyMarker || (e.Key === keyMarker && versionMarker !== undefined && e.VersionId > versionMarker));
      const page = start < 0 ? [] : entries.slice(start, start + maxKeys);
      const truncated = start >= 0 && start + maxKeys < entries.length;
      const last = page[page.length - 1];
      const body = page
        .map((e) =>
          e.IsDeleteMarker
            ? `<DeleteMarker><Key>${esc(e.Key)}</Key><VersionId>${e.VersionId}</VersionId><IsLatest>false</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified></DeleteMarker>`
            : `<Version><Key>${esc(e.Key)}</Key><VersionId>${e.VersionId}</VersionId><IsLatest>${e.VersionId === 'null'}</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>${e.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
        )
        .join('');
      ctx.type = 'application/xml';
      ctx.body = xml(
        `<ListVersionsResult><Name>${bucket}</Name><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${truncated && last ? `<NextKeyMarker>${esc(last.Key)}</NextKeyMarker><NextVersionIdMarker>${last.VersionId}</NextVersionIdMarker>` : ''}${body}</ListVersionsResult>`,
      );
      return;
    }
    if (!key && 'uploads' in q && ctx.method === 'GET') {
      const uploads = this.uploads.get(bucket) ?? [];
      ctx.type = 'application/xml';
      ctx.body = xml(`<ListMultipartUploadsResult><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated>${uploads.map((u) => `<Upload><Key>${esc(u.Key)}</Key><UploadId>${u.UploadId}</UploadId></Upload>`).join('')}</ListMultipartUploadsResult>`);
      return;
    }
    if (key && typeof q.uploadId === 'string' && ctx.method === 'DELETE') {
      const uploads = this.uploads.get(bucket) ?? [];
      if (!uploads.some((u) => u.UploadId === q.uploadId)) return error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      this.uploads.set(bucket, uploads.filter((u) => u.UploadId !== q.uploadId));
      ctx.status = 204;
      return;
    }
    if (!key && 'delete' in q && ctx.method === 'POST') {
      const body = await readBody(ctx);
      const deleted: string[] = [];
      for (const m of body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
        const objectKey = /<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') ?? '';
        const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1]!)?.[1];
        if (this.locked.has(bucket)) {
          deleted.push(`<Error><Key>${esc(objectKey)}</Key>${versionId ? `<VersionId>${versionId}</VersionId>` : ''}<Code>AccessDenied</Code><Message>Access Denied because object protected by object lock.</Message></Error>`);
          continue;
        }
        if (versionId && this.mfaDelete.has(bucket)) {
          deleted.push(`<Error><Key>${esc(objectKey)}</Key><VersionId>${versionId}</VersionId><Code>AccessDenied</Code><Message>Mfa Authentication must be used for this request</Message></Error>`);
          continue;
        }
        if (versionId && versionId !== 'null') {
          this.versions.set(bucket, (this.versions.get(bucket) ?? []).filter((v) => !(v.Key === objectKey && v.VersionId === versionId)));
        } else if (await ctx.store.existsObject(bucket, objectKey)) {
          await ctx.store.deleteObject(bucket, objectKey);
        }
        deleted.push(`<Deleted><Key>${esc(objectKey)}</Key>${versionId ? `<VersionId>${versionId}</VersionId>` : ''}</Deleted>`);
      }
      ctx.type = 'application/xml';
      ctx.body = xml(`<DeleteResult>${deleted.join('')}</DeleteResult>`);
      return;
    }
    if (!key && ctx.method === 'DELETE' && Object.keys(q).length === 0) {
      if ((this.versions.get(bucket)?.length ?? 0) > 0 || (this.uploads.get(bucket)?.length ?? 0) > 0) {
        return error(ctx, 409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty. You must delete all versions in the bucket.');
      }
      await next();
      if (ctx.status < 300) this.tags.delete(bucket);
      return;
    }
    return next();
  }

  /** Makes s3rver accept (and verify signatures of) another key pair, such as an STS session's. */
  addCredentials(accessKeyId: string, secretAccessKey: string): void {
    const AWSAccount = require('s3rver/lib/models/account.js') as new (id: string, name: string) => { createKeyPair(a: string, s: string): void };
    new AWSAccount('111111111111', 'driftguard-test').createKeyPair(accessKeyId, secretAccessKey);
  }

  async stop(): Promise<void> {
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
