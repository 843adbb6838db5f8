import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../../../src/errors.ts';
import { mapLimit } from '../../../src/limit.ts';
import { httpStatusOf, withRetry } from '../../../src/retry.ts';
import type { DeleteResult, Listing, Resource, ResourceHandler } from '../types.ts';
import type { ResourceDescriptor } from './descriptor.ts';

const DELETE_BATCH = 1000;
/** Rounds of "empty, then delete the bucket" when something lands in it meanwhile. */
const DELETE_ROUNDS = 3;
/** Versions described by name when some cannot be deleted. */
const EXPLAINED = 5;
/** Buckets of unknown region from which two filtered listings replace a location read per bucket. */
const REGION_FILTER_MIN = 4;
/** Buckets to read from which one paged Tagging API listing replaces a GetBucketTagging per bucket. */
const TAGGING_API_MIN = 4;
/** The Resource Groups Tagging API's largest page. */
const TAGGING_PAGE = 100;
/** `arn:aws:s3:::NAME` (any partition): a bucket's ARN names no region or account. */
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([^/:]+)$/;
const GONE = new Set(['NoSuchBucket', 'NotFound']);
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'Forbidden']);
/** Answers meaning "this endpoint does not have the feature" (S3-compatible stores): not an error. */
const ABSENT = new Set(['NotImplemented', 'MethodNotAllowed', 'NotSupported', 'XNotImplemented']);

const code = (err: unknown) => (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code ?? '';
const absent = (err: unknown) => ABSENT.has(code(err)) || httpStatusOf(err) === 501 || httpStatusOf(err) === 405;
const gone = (err: unknown) => GONE.has(code(err)) || httpStatusOf(err) === 404;

export interface S3Target {
  client: S3Client;
  account: string;
  region: string;
  /** S3-compatible stores answer GetBucketLocation with an empty string for their one region. */
  defaultRegion: string;
  /** An S3-compatible endpoint: its region answers are not AWS's, so a fresh read does not re-check them. */
  customEndpoint?: boolean;
  /** Only names with it are ever read; others are reported as seen, with no call about them. */
  prefix: string;
  /** Reads at once while listing. */
  concurrency: number;
  /** Report names without the prefix whose region is unknown here (once per account, not per region). */
  reportUnnamed: boolean;
  /**
   * The Resource Groups Tagging API of this account and region: while listing, the tags of every
   * tagged bucket in pages of 100 (GetResources) instead of one GetBucketTagging per bucket.
   * Absent for S3-compatible stores, which have no such API.
   */
  tagging?: ResourceGroupsTaggingAPIClient;
}

/** A version that could not be deleted, as DeleteObjects answered. */
interface Kept {
  Key: string;
  VersionId?: string;
  Code: string;
  Message: string;
}

/**
 * S3 buckets: listed with creation date and tags, emptied of every object version and delete
 * marker (the `null` version included, named explicitly), unfinished multipart uploads aborted,
 * then deleted. Object Lock retention, legal holds and MFA delete are never bypassed: what they
 * protect stays, the bucket is kept, and the report says what was left. A call the endpoint does
 * not implement (501) about an optional feature means the feature is absent.
 */
export async function s3Buckets(target: S3Target): Promise<ResourceHandler> {
  const s3 = await import('@aws-sdk/client-s3');
  const { client, account, region } = target;
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 100, maxDelayMs: 5000, maxElapsedMs: 120_000 });

  /** Tags, or why they could not be read; 'gone' when the bucket no longer exists. */
  async function tagsOf(bucket: string): Promise<Pick<Resource, 'tags' | 'tagsError'> | 'gone'> {
    try {
      const out = await call(() => client.send(new s3.GetBucketTaggingCommand({ Bucket: bucket })));
      return { tags: Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) };
    } catch (err) {
      if (code(err) === 'NoSuchTagSet' || code(err) === 'NoSuchTagSetError') return { tags: {} };
      if (code(err) === 'NoSuchBucket') return 'gone';
      return { tagsError: describeError(err) };
    }
  }

  /**
   * Tags by bucket name, of every bucket the Tagging API names in this region (GetResources with
   * `s3:bucket`, paged by PaginationToken); undefined, with the reason in `notes`, when it cannot
   * be asked (no `tag:GetResources` permission, an endpoint without the API). A bucket it does not
   * name (never tagged, or tagged moments ago and not yet indexed) is read on its own. Listing
   * only: the read just before a deletion is always the bucket's own GetBucketTagging.
   */
  async function taggedBuckets(notes: string[]): Promise<Map<string, Record<string, string>> | undefined> {
    if (!target.tagging) return undefined;
    const api = await import('@aws-sdk/client-resource-groups-tagging-api');
    const tags = new Map<string, Record<string, string>>();
    let token: string | undefined;
    try {
      do {
        const out = await call(() => target.tagging!.send(new api.GetResourcesCommand({ ResourceTypeFilters: ['s3:bucket'], ResourcesPerPage: TAGGING_PAGE, ...(token ? { PaginationToken: token } : {}) })));
        for (const mapping of out.ResourceTagMappingList ?? []) {
          const name = BUCKET_ARN.exec(mapping.ResourceARN ?? '')?.[1];
          if (name) tags.set(name, Object.fromEntries((mapping.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
        }
        token = out.PaginationToken || undefined;
      } while (token);
      return tags;
    } catch (err) {
      notes.push(`bucket tags read one bucket at a time: the Resource Groups Tagging API answered ${describeError(err)} (grant tag:GetResources to read them in pages of ${TAGGING_PAGE})`);
      return undefined;
    }
  }

  const normalise = (constraint: string | undefined) => (!constraint ? target.defaultRegion : constraint === 'EU' ? 'eu-west-1' : constraint);

  async function regionOf(bucket: string): Promise<string | undefined> {
    try {
      const out = await call(() => client.send(new s3.GetBucketLocationCommand({ Bucket: bucket })));
      // us-east-1 answers with no constraint; "EU" is the legacy name of eu-west-1.
      return normalise(out.LocationConstraint as string | undefined);
    } catch (err) {
      if (GONE.has(code(err))) return undefined;
      throw err;
    }
  }

  interface Listed {
    name: string;
    createdAt?: Date;
    /** ListBuckets names the region on AWS; S3-compatible stores leave it out. */
    region?: string;
  }

  /** Every bucket ListBuckets names, page by page; `prefix` and `bucketRegion` are its own filters. */
  async function listAll(prefix?: string, bucketRegion?: string): Promise<Listed[]> {
    const buckets: Listed[] = [];
    let token: string | undefined;
    do {
      const out = await call(() =>
        client.send(new s3.ListBucketsCommand({ ...(prefix ? { Prefix: prefix } : {}), ...(bucketRegion ? { BucketRegion: bucketRegion } : {}), ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const b of out.Buckets ?? []) {
        if (b.Name) buckets.push({ name: b.Name, ...(b.CreationDate ? { createdAt: b.CreationDate } : {}), ...(b.BucketRegion && !target.customEndpoint ? { region: b.BucketRegion } : {}) });
      }
      token = out.ContinuationToken;
    } while (token);
    return buckets;
  }

  /**
   * The names of this prefix that live in the target's region, learnt from two ListBuckets calls
   * filtered by BucketRegion (this region and one other) instead of one GetBucketLocation per
   * bucket; undefined when the endpoint cannot be shown to apply the filter. An endpoint that
   * ignores it answers the same buckets to both questions, and no bucket lives in two regions, so
   * the answers are trusted only when they share no bucket and are not both empty. Asked only when
   * the listing leaves the region of enough buckets open to pay for the two calls.
   */
  async function namesInRegion(listed: readonly Listed[]): Promise<Set<string> | undefined> {
    const open = listed.filter((b) => b.region === undefined && b.name.startsWith(target.prefix));
    if (open.length < REGION_FILTER_MIN) return undefined;
    try {
      const [here, other] = await Promise.all([listAll(target.prefix, region), listAll(target.prefix, region === 'us-east-1' ? 'us-west-2' : 'us-east-1')]);
      const elsewhere = new Set(other.map((b) => b.name));
      if (here.some((b) => elsewhere.has(b.name)) || here.length + other.length === 0) return undefined;
      return new Set(here.map((b) => b.name));
    } catch {
      // The filter is an optimisation: each bucket's location is read instead.
      return undefined;
    }
  }

  const resourceOf = (b: Listed, where: string, read: Pick<Resource, 'tags' | 'tagsError'>): Resource => ({
    provider: 'aws',
    type: 's3_bucket',
    id: b.name,
    name: b.name,
    account,
    region: where,
    ...(b.createdAt ? { createdAt: b.createdAt } : {}),
    ...read,
  });

  /** Every listed version (or, where versions are not implemented, every object) page by page. */
  async function* pages(bucket: string): AsyncGenerator<Array<{ Key: string; VersionId?: string }>> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    // ListObjectVersions has no SDK paginator: paged by hand.
    for (let first = true; ; first = false) {
      let page;
      try {
        page = await call(() =>
          client.send(new s3.ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: DELETE_BATCH, ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}), ...(versionMarker !== undefined ? { VersionIdMarker: versionMarker } : {}) })),
        );
      } catch (err) {
        if (first && absent(err)) return yield* objectPages(bucket);
        throw err;
      }
      // "null" is a real version id (written before versioning, or while suspended): named explicitly.
      yield [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) => v.Key !== undefined).map((v) => ({ Key: v.Key!, ...(v.VersionId ? { VersionId: v.VersionId } : {}) }));
      if (!page.IsTruncated || (page.NextKeyMarker === undefined && page.NextVersionIdMarker === undefined)) return;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
  }

  async function* objectPages(bucket: string): AsyncGenerator<Array<{ Key: string }>> {
    let token: string | undefined;
    do {
      const page = await call(() => client.send(new s3.ListObjectsV2Command({ Bucket: bucket, MaxKeys: DELETE_BATCH, ...(token ? { ContinuationToken: token } : {}) })));
      yield (page.Contents ?? []).filter((o) => o.Key !== undefined).map((o) => ({ Key: o.Key! }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Deletes every version it lists; returns how many went and those the bucket refused to let go. */
  async function empty(bucket: string, progress: (m: string) => void): Promise<{ removed: number; kept: Kept[] }> {
    let removed = 0;
    const kept: Kept[] = [];
    for await (const entries of pages(bucket)) {
      if (entries.length === 0) continue;
      // Deletes are safe to repeat: a retried batch deletes what is left of it. No bypass header, ever.
      const out = await call(() => client.send(new s3.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: entries, Quiet: true } })));
      const errors = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey' && e.Code !== 'NoSuchVersion');
      for (const e of errors) kept.push({ Key: e.Key ?? '', ...(e.VersionId ? { VersionId: e.VersionId } : {}), Code: e.Code ?? 'Error', Message: e.Message ?? '' });
      removed += entries.length - errors.length;
      progress(`${bucket}: ${removed} object versions deleted`);
    }
    return { removed, kept };
  }

  async function abortUploads(bucket: string, progress: (m: string) => void): Promise<void> {
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
      if (!page.IsTruncated || (!page.NextKeyMarker && !page.NextUploadIdMarker)) return;
      uploadKey = page.NextKeyMarker;
      uploadId = page.NextUploadIdMarker;
    }
  }

  /** Asks about an optional feature; undefined when the endpoint does not have it (501) or says it is not set. */
  async function optional<T>(fn: () => Promise<T>, notSet: readonly string[]): Promise<T | undefined> {
    try {
      return await call(fn);
    } catch (err) {
      if (absent(err) || notSet.includes(code(err))) return undefined;
      throw err;
    }
  }

  /** Why versions could not be deleted, and whether a protection DriftGuard never bypasses is the cause. */
  async function explain(bucket: string, kept: Kept[]): Promise<{ protection: boolean; why: string }> {
    const n = kept.length;
    const versioning = await optional(() => client.send(new s3.GetBucketVersioningCommand({ Bucket: bucket })), []).catch(() => undefined);
    if (versioning?.MFADelete === 'Enabled') {
      return { protection: true, why: `MFA delete is enabled: ${n} object versions can only be deleted with the owner's MFA device, which DriftGuard never uses` };
    }
    const lock = await optional(() => client.send(new s3.GetObjectLockConfigurationCommand({ Bucket: bucket })), ['ObjectLockConfigurationNotFoundError']).catch(() => undefined);
    if (lock?.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') {
      const named = [...kept].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0)).slice(0, EXPLAINED);
      const details = await Promise.all(
        named.map(async (k) => {
          const head = await call(() => client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: k.Key, ...(k.VersionId ? { VersionId: k.VersionId } : {}) }))).catch(() => undefined);
          const why = [
            head?.ObjectLockLegalHoldStatus === 'ON' ? 'legal hold' : undefined,
            head?.ObjectLockMode ? `${head.ObjectLockMode} retention until ${head.ObjectLockRetainUntilDate?.toISOString() ?? '?'}` : undefined,
          ].filter(Boolean);
          return `${k.Key}: ${why.length ? why.join(' and ') : `${k.Code} ${k.Message}`.trim()}`;
        }),
      );
      const more = n > named.length ? `, and ${n - named.length} more` : '';
      return { protection: true, why: `${n} object versions are protected by Object Lock (${details.join('; ')}${more}); DriftGuard never bypasses it` };
    }
    const first = kept[0]!;
    return { protection: DENIED.has(first.Code), why: `${n} object versions could not be deleted (${first.Code}: ${first.Message || 'no message'}, on ${first.Key})` };
  }

  async function remove(bucket: string, progress: (m: string) => void): Promise<DeleteResult> {
    let removed = 0;
    let aborted = false;
    let uploads = '';
    const leftBehind = () => `${removed > 0 ? 'objects deleted, bucket still exists' : 'nothing deleted, bucket still exists'}${uploads}`;
    for (let round = 1; ; round++) {
      const emptied = await empty(bucket, progress);
      removed += emptied.removed;
      if (emptied.kept.length > 0) {
        const { protection, why } = await explain(bucket, emptied.kept);
        return protection ? { status: 'refused', reason: `${leftBehind()}: ${why}` } : { status: 'failed', reason: `${leftBehind()}: ${why}` };
      }
      try {
        await call(() => client.send(new s3.DeleteBucketCommand({ Bucket: bucket })));
        return { status: 'deleted' };
      } catch (err) {
        if (code(err) !== 'BucketNotEmpty' || round >= DELETE_ROUNDS) throw Object.assign(err as Error, { leftBehind: leftBehind() });
      }
      // Unfinished multipart uploads, or objects written meanwhile: abort the first, empty again.
      if (!aborted) {
        aborted = true;
        try {
          await abortUploads(bucket, progress);
        } catch (err) {
          if (!absent(err)) throw Object.assign(err as Error, { leftBehind: leftBehind() });
          uploads = ` (unfinished multipart uploads cannot be listed here: ListMultipartUploads answered ${httpStatusOf(err) ?? code(err)})`;
        }
      }
    }
  }

  return {
    type: 's3_bucket',
    provider: 'aws',
    async list(): Promise<Listing> {
      const skipped: Listing['skipped'] = [];
      const notes: string[] = [];
      const listed = await listAll();
      const toRead = listed.filter((b) => b.name.startsWith(target.prefix) && (b.region === undefined || b.region === region)).length;
      const [inRegion, tagged] = await Promise.all([namesInRegion(listed), toRead >= TAGGING_API_MIN ? taggedBuckets(notes) : undefined]);
      const readTags = (name: string) => {
        const known = tagged?.get(name);
        return known ? Promise.resolve({ tags: known }) : tagsOf(name);
      };
      const described = await mapLimit(listed, target.concurrency, async (b): Promise<Resource | undefined> => {
        if (!b.name.startsWith(target.prefix)) {
          // Never ours: reported as seen, nothing read about it.
          const where = b.region ?? (target.reportUnnamed ? '*' : undefined);
          return where === region || where === '*' ? resourceOf(b, where, { tagsError: 'not read: the name is not DriftGuard\'s' }) : undefined;
        }
        // Not in this region by the filtered listing: nothing read about it here.
        if (b.region === undefined && inRegion && !inRegion.has(b.name)) return undefined;
        const known = b.region ?? (inRegion ? region : undefined);
        try {
          const [where, read] = await Promise.all([known !== undefined ? known : regionOf(b.name), known === undefined || known === region ? readTags(b.name) : undefined]);
          if (where === undefined || where !== region || read === 'gone' || read === undefined) return undefined;
          return resourceOf(b, where, read);
        } catch (err) {
          skipped.push({ id: b.name, reason: `its region could not be read: ${describeError(err)}` });
          return undefined;
        }
      });
      return { resources: described.filter((r): r is Resource => r !== undefined), skipped, ...(notes.length ? { notes } : {}) };
    },
    async get(resource) {
      const head = async (): Promise<string | undefined | 'gone'> => {
        try {
          const out = await call(() => client.send(new s3.HeadBucketCommand({ Bucket: resource.id })));
          return out.BucketRegion;
        } catch (err) {
          // 301: the bucket lives in another region, so it is not this target's.
          if (gone(err) || httpStatusOf(err) === 301) return 'gone';
          throw err;
        }
      };
      // Listed by this run (its region and creation time just read): the tags answer for its
      // existence too (NoSuchBucket). Otherwise HeadBucket also says where it lives.
      const listed = resource.region === region && resource.createdAt !== undefined;
      const [where, read] = await Promise.all([listed ? undefined : head(), tagsOf(resource.id)]);
      if (where === 'gone' || read === 'gone') return undefined;
      if (where !== undefined && !target.customEndpoint && where !== region) return undefined;
      let createdAt = resource.createdAt;
      if (!createdAt) createdAt = (await listAll(resource.id)).find((b) => b.name === resource.id)?.createdAt;
      return resourceOf({ name: resource.id, ...(createdAt ? { createdAt } : {}) }, region, read);
    },
    async remaining(resources) {
      const wanted = new Set(resources.map((r) => r.id));
      return new Set((await listAll()).map((b) => b.name).filter((name) => wanted.has(name)));
    },
    async delete(resource, progress): Promise<DeleteResult> {
      try {
        return await remove(resource.id, progress);
      } catch (err) {
        const left = (err as { leftBehind?: string }).leftBehind;
        const what = `${left ? `${left}: ` : ''}${describeError(err)}`;
        if (GONE.has(code(err))) return { status: 'gone' };
        if (DENIED.has(code(err))) return { status: 'failed', reason: `access denied: ${what}` };
        return { status: 'failed', reason: what };
      }
    },
  };
}

export const s3Bucket: ResourceDescriptor = {
  type: 's3_bucket',
  provider: 'aws',
  wanted: (config) => config.providers.aws?.resources.includes('s3_bucket') ?? false,
  async handler({ config, clouds, scope: { account, region, primary } }) {
    const aws = config.providers.aws!;
    const client = await clouds.s3({ region, endpoint: aws.s3.endpoint, forcePathStyle: aws.s3.force_path_style, account });
    // An S3-compatible store has no Tagging API: asked only on AWS, or where its endpoint is given.
    const tagging = aws.tagging.enabled && (!aws.s3.endpoint || aws.tagging.endpoint) ? await clouds.tagging({ region, endpoint: aws.tagging.endpoint, account }) : undefined;
    return s3Buckets({
      client,
      account,
      region,
      defaultRegion: aws.s3.endpoint ? region : 'us-east-1',
      customEndpoint: Boolean(aws.s3.endpoint),
      prefix: config.prefix,
      concurrency: config.concurrency,
      reportUnnamed: primary,
      ...(tagging ? { tagging } : {}),
    });
  },
};
