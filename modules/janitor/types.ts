import type { ResourceType } from './schema.ts';

export type Provider = 'aws' | 'azure' | 'gcp';

/** One cloud resource as a lister saw it. Tags are undefined when they could not be read. */
export interface Resource {
  provider: Provider;
  type: ResourceType;
  /** Provider id used to delete it (bucket name, instance id, resource group id). */
  id: string;
  /** The name the prefix rule applies to (bucket name, EC2 Name tag, resource group name). */
  name: string;
  /** Account, subscription or project. */
  account: string;
  region: string;
  /** The provider's own creation time, when it has one. */
  createdAt?: Date;
  /** Which of the provider's times `createdAt` is, when it has several (EC2: LaunchTime or an attach time). */
  createdFrom?: string;
  tags?: Record<string, string>;
  /** Why the tags could not be read (AccessDenied, ...). */
  tagsError?: string;
}

export const resourceKey = (r: Pick<Resource, 'provider' | 'type' | 'account' | 'region' | 'id'>) => `${r.provider}/${r.account}/${r.region}/${r.type}/${r.id}`;

/** The outcome of trying to delete one resource. */
export type DeleteResult =
  | { status: 'deleted' }
  | { status: 'gone' }
  /** A protection the janitor never switches off (Object Lock, termination protection, a lock). */
  | { status: 'refused'; reason: string }
  /** No longer eligible on the fresh read just before deletion (a tag added since planning). */
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string };

/** What one listing found: the resources read, and those that could not be read (name, reason). */
export interface Listing {
  resources: Resource[];
  /** Resources seen but not read (their location or listing failed after retries): skipped, never deleted. */
  skipped: Array<{ id: string; reason: string }>;
  /** How the listing went where it is worth knowing (a batch API refused, read one by one instead). */
  notes?: string[];
}

/**
 * One resource type: a narrow lister and deleter over its SDK client, with its own batch size.
 * Listing reads name, creation time and tags. How many deletions run at once is the policy's
 * `concurrency`, the same for every type.
 */
export interface ResourceHandler {
  readonly type: ResourceType;
  readonly provider: Provider;
  list(): Promise<Listing>;
  /** A fresh read of this one resource (existence and tags), undefined when it no longer exists. */
  get(resource: Resource): Promise<Resource | undefined>;
  /** Deletes it, emptying it first where needed; never switches off or bypasses any protection. */
  delete(resource: Resource, progress: (message: string) => void): Promise<DeleteResult>;
  /**
   * Which of these resources still exist, in as few calls as the API allows (one listing of
   * names, a batch describe). Without it, each resource is read again with `get`.
   */
  remaining?(resources: readonly Resource[]): Promise<Set<string>>;
}
