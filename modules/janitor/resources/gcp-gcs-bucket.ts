import type { Storage } from '@google-cloud/storage';
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
  name?: string;
  location?: string;
  timeCreated?: string;
  labels?: Record<string, string>;
  retentionPolicy?: { retentionPeriod?: string | number; isLocked?: boolean };
}

/**
 * GCS buckets: labels (lowercase, so markers use the same alphabet), timeCreated, every object
 * generation deleted before the bucket. A retention policy is never removed: the bucket is
 * reported, not forced. Every call names the allowlisted project as the one to bill
 * (`userProject`): a Requester Pays bucket answers 400 to any call without it, so an expired one
 * could never be read or deleted. timeCreated never changes over a bucket's life (an update sets
 * `updated`), so it is a bucket's real age.
 */
export function gcsBuckets(target: GcsTarget): ResourceHandler {
  const { storage, project } = target;
  // The bucket object adds userProject to its own calls and to those of its files.
  const bucketOf = (name: string) => storage.bucket(name, { userProject: project });
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 200, maxDelayMs: 8000, maxElapsedMs: 120_000 });
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
      const [buckets] = await call(() => storage.getBuckets({ project, userProject: project, autoPaginate: true }));
      return { resources: buckets.map((b) => toResource(b.metadata as BucketMetadata)), skipped: [] };
    },
    async get(resource) {
      try {
        const [metadata] = await call(() => bucketOf(resource.id).getMetadata());
        return toResource(metadata as BucketMetadata);
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async delete(resource, progress) {
      const bucket = bucketOf(resource.id);
      try {
        const [metadata] = await call(() => bucket.getMetadata());
        if ((metadata as BucketMetadata).retentionPolicy) return { status: 'refused', reason: 'a retention policy is set; DriftGuard never removes it' };
        let deleted = 0;
        let pageToken: string | undefined;
        do {
          const [files, next] = await call(() => bucket.getFiles({ versions: true, autoPaginate: false, maxResults: 1000, ...(pageToken ? { pageToken } : {}) }));
          for (const file of files) {
            await call(() => file.delete({ ignoreNotFound: true })).catch((err: unknown) => {
              if (statusOf(err) !== 404) throw err;
            });
            deleted++;
          }
          if (files.length > 0) progress(`${resource.id}: ${deleted} object generations deleted`);
          pageToken = (next as { pageToken?: string } | null)?.pageToken;
        } while (pageToken);
        await call(() => bucket.delete());
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
