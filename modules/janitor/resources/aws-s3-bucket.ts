import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../../../src/errors.ts';
import { mapLimit } from '../../../src/limit.ts';
import { withRetry } from '../../../src/retry.ts';
import type { DeleteResult, Resource, ResourceHandler } from '../types.ts';

const DELETE_BATCH = 1000;
const GONE = new Set(['NoSuchBucket', 'NotFound']);
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'Forbidden']);

const code = (err: unknown) => (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code ?? '';

export interface S3Target {
  client: S3Client;
  account: string;
  region: string;
  /** S3-compatible stores answer GetBucketLocation with an empty string for their one region. */
  defaultRegion: string;
}

/**
 * S3 buckets: listed with creation date and tags, emptied of every object version, delete marker
 * and unfinished multipart upload, then deleted. Object Lock is never switched off: a locked
 * bucket is reported, not forced.
 */
export async function s3Buckets(target: S3Target): Promise<ResourceHandler> {
  const s3 = await import('@aws-sdk/client-s3');
  const { client, account, region } = target;
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 100, maxDelayMs: 5000, maxElapsedMs: 120_000 });

  async function tagsOf(bucket: string): Promise<Pick<Resource, 'tags' | 'tagsError'>> {
    try {
      const out = await call(() => client.send(new s3.GetBucketTaggingCommand({ Bucket: bucket })));
      return { tags: Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) };
    } catch (err) {
      if (code(err) === 'NoSuchTagSet' || code(err) === 'NoSuchTagSetError') return { tags: {} };
      return { tagsError: describeError(err) };
    }
  }

  async function regionOf(bucket: string): Promise<string | undefined> {
    try {
      const out = await call(() => client.send(new s3.GetBucketLocationCommand({ Bucket: bucket })));
      const constraint = out.LocationConstraint as string | undefined;
      // us-east-1 answers with no constraint; "EU" is the legacy name of eu-west-1.
      if (!constraint) return target.defaultRegion;
      return constraint === 'EU' ? 'eu-west-1' : constraint;
    } catch (err) {
      if (GONE.has(code(err))) return undefined;
      throw err;
    }
  }

  async function describe(bucket: string, createdAt: Date | undefined): Promise<Resource | undefined> {
    const where = await regionOf(bucket);
    if (where === undefined || where !== region) return undefined;
    return { provider: 'aws', type: 's3_bucket', id: bucket, name: bucket, account, region, ...(createdAt ? { createdAt } : {}), ...(await tagsOf(bucket)) };
  }

  async function listAll(): Promise<Array<{ name: string; createdAt?: Date }>> {
    const buckets: Array<{ name: string; createdAt?: Date }> = [];
    let token: string | undefined;
    do {
      const out = await call(() => client.send(new s3.ListBucketsCommand({ ...(token ? { ContinuationToken: token } : {}) })));
      for (const b of out.Buckets ?? []) if (b.Name) buckets.push({ name: b.Name, createdAt: b.CreationDate });
      token = out.ContinuationToken;
    } while (token);
    return buckets;
  }

  async function objectLocked(bucket: string): Promise<boolean> {
    try {
      const out = await call(() => client.send(new s3.GetObjectLockConfigurationCommand({ Bucket: bucket })));
      return out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
    } catch (err) {
      const c = code(err);
      if (c === 'ObjectLockConfigurationNotFoundError' || c === 'NotImplemented' || c === 'MethodNotAllowed') return false;
      throw err;
    }
  }

  async function empty(bucket: string, progress: (m: string) => void): Promise<void> {
    let removed = 0;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    // ListObjectVersions has no SDK paginator: page it by hand.
    for (;;) {
      const page = await call(() =>
        client.send(new s3.ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: DELETE_BATCH, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(versionMarker ? { VersionIdMarker: versionMarker } : {}) })),
      );
      const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .filter((v) => v.Key !== undefined)
        .map((v) => ({ Key: v.Key!, ...(v.VersionId && v.VersionId !== 'null' ? { VersionId: v.VersionId } : {}) }));
      for (let i = 0; i < entries.length; i += DELETE_BATCH) {
        const batch = entries.slice(i, i + DELETE_BATCH);
        // Deletes are safe to repeat: a retried batch deletes what is left of it.
        const out = await call(() => client.send(new s3.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } })));
        const errors = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey' && e.Code !== 'NoSuchVersion');
        if (errors.length > 0) throw new Error(`${errors.length} objects could not be deleted (${errors[0]!.Code}: ${errors[0]!.Key})`);
        removed += batch.length;
      }
      if (removed > 0 && entries.length > 0) progress(`${bucket}: ${removed} object versions deleted`);
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
      if (!keyMarker && !versionMarker) break;
    }
    let uploadKey: string | undefined;
    let uploadId: string | undefined;
    for (;;) {
      const page = await call(() =>
        client.send(new s3.ListMultipartUploadsCommand({ Bucket: bucket, ...(uploadKey ? { KeyMarker: uploadKey } : {}), ...(uploadId ? { UploadIdMarker: uploadId } : {}) })),
      );
      for (const upload of page.Uploads ?? []) {
        await call(() => client.send(new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key!, UploadId: upload.UploadId! }))).catch((err: unknown) => {
          if (code(err) !== 'NoSuchUpload') throw err;
        });
        progress(`${bucket}: aborted multipart upload of ${upload.Key}`);
      }
      if (!page.IsTruncated) break;
      uploadKey = page.NextKeyMarker;
      uploadId = page.NextUploadIdMarker;
    }
  }

  return {
    type: 's3_bucket',
    provider: 'aws',
    concurrency: 4,
    async list() {
      const described = await mapLimit(await listAll(), 8, (bucket) => describe(bucket.name, bucket.createdAt));
      return described.filter((r): r is Resource => r !== undefined);
    },
    async get(resource) {
      const found = (await listAll()).find((b) => b.name === resource.id);
      return found ? describe(found.name, found.createdAt) : undefined;
    },
    async delete(resource, progress): Promise<DeleteResult> {
      try {
        if (await objectLocked(resource.id)) return { status: 'refused', reason: 'Object Lock is enabled; DriftGuard never switches it off' };
        await empty(resource.id, progress);
        await call(() => client.send(new s3.DeleteBucketCommand({ Bucket: resource.id })));
        return { status: 'deleted' };
      } catch (err) {
        const c = code(err);
        if (GONE.has(c)) return { status: 'gone' };
        if (DENIED.has(c)) return { status: 'failed', reason: `access denied: ${describeError(err)}` };
        return { status: 'failed', reason: describeError(err) };
      }
    },
  };
}
