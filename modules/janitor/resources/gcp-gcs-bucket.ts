import type { Bucket, Storage } from '@google-cloud/storage';
import { describeError } from '../../../src/errors.ts';
import { withRetry } from '../../../src/retry.ts';
import type { Resource, ResourceHandler } from '../types.ts';
import type { ResourceDescriptor } from './descriptor.ts';

export interface GcsTarget {
  storage: Storage;
  project: string;
}

const statusOf = (err: unknown) => (err as { code?: number }).code;

interface BucketMetadata {
  billing?: { requesterPays?: boolean };
  name?: string;
  location?: string;
  timeCreated?: string;
  labels?: Record<string, string>;
  retentionPolicy?: { retentionPeriod?: string | number; isLocked?: boolean };
}

/**
 * GCS buckets: labels (lowercase, so markers use the same alphabet), timeCreated, every object
 * generation deleted before the bucket. A retention policy is never removed: the bucket is
 * reported, not forced. Calls on a Requester Pays bucket name the allowlisted project as the one
 * to bill (`userProject`): such a bucket answers 400 to any call without it, so an expired one
 * could never be read or deleted. Only those: naming a billing project needs the
 * `serviceusage.services.use` permission, which a storage-only role lacks. A bucket is known to
 * be one from its listing (`billing.requesterPays`) or from GCS's own 400 "no user project
 * provided", after which the call is made again with it. timeCreated never changes over a
 * bucket's life (an update sets `updated`), so it is a bucket's real age.
 */
export function gcsBuckets(target: GcsTarget): ResourceHandler {
  const { storage, project } = target;
  const payers = new Set<string>();
  // The bucket object adds userProject to its own calls and to those of its files.
  const bucketOf = (name: string) => storage.bucket(name, payers.has(name) ? { userProject: project } : {});
  const retried = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 200, maxDelayMs: 8000, maxElapsedMs: 120_000 });
  /** A call on one bucket; when GCS says the bucket wants a billing project, again with one. */
  const call = async <T>(name: string, fn: (bucket: Bucket) => Promise<T>): Promise<T> => {
    try {
      return await retried(() => fn(bucketOf(name)));
    } catch (err) {
      if (payers.has(name) || statusOf(err) !== 400 || !/user project/i.test(describeError(err))) throw err;
      payers.add(name);
      return retried(() => fn(bucketOf(name)));
    }
  };
  const toResource = (m: BucketMetadata): Resource => ({
    provider: 'gcp',
    type: 'gcs_bucket',
    id: m.name ?? '',
    name: m.name ?? '',
    account: project,
    region: (m.location ?? '').toLowerCase(),
    ...(m.timeCreated ? { createdAt: new Date(m.timeCreated) } : {}),
    tags: m.labels ?? {},
  });
  return {
    type: 'gcs_bucket',
    provider: 'gcp',
    async list() {
      const [buckets] = await retried(() => storage.getBuckets({ project, autoPaginate: true }));
      for (const b of buckets) if ((b.metadata as BucketMetadata).billing?.requesterPays && b.name) payers.add(b.name);
      return { resources: buckets.map((b) => toResource(b.metadata as BucketMetadata)), skipped: [] };
    },
    async get(resource) {
      try {
        const [metadata] = await call(resource.id, (bucket) => bucket.getMetadata());
        if ((metadata as BucketMetadata).billing?.requesterPays) payers.add(resource.id);
        return toResource(metadata as BucketMetadata);
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async delete(resource, progress) {
      try {
        const [metadata] = await call(resource.id, (bucket) => bucket.getMetadata());
        if ((metadata as BucketMetadata).billing?.requesterPays) payers.add(resource.id);
        const bucket = bucketOf(resource.id);
        if ((metadata as BucketMetadata).retentionPolicy) return { status: 'refused', reason: 'a retention policy is set; DriftGuard never removes it' };
        let deleted = 0;
        let pageToken: string | undefined;
        do {
          const [files, next] = await retried(() => bucket.getFiles({ versions: true, autoPaginate: false, maxResults: 1000, ...(pageToken ? { pageToken } : {}) }));
          for (const file of files) {
            await retried(() => file.delete({ ignoreNotFound: true })).catch((err: unknown) => {
              if (statusOf(err) !== 404) throw err;
            });
            deleted++;
          }
          if (files.length > 0) progress(`${resource.id}: ${deleted} object generations deleted`);
          pageToken = (next as { pageToken?: string } | null)?.pageToken;
        } while (pageToken);
        await retried(() => bucket.delete());
        return { status: 'deleted' };
      } catch (err) {
        if (statusOf(err) === 404) return { status: 'gone' };
        return { status: 'failed', reason: describeError(err) };
      }
    },
  };
}

export const gcsBucket: ResourceDescriptor = {
  type: 'gcs_bucket',
  provider: 'gcp',
  wanted: (config) => config.providers.gcp?.resources.includes('gcs_bucket') ?? false,
  async handler({ config, clouds, scope: { account } }) {
    return gcsBuckets({ storage: await clouds.gcs({ project: account, endpoint: config.providers.gcp!.endpoint }), project: account });
  },
};
