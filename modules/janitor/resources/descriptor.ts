import type { CloudClients } from '../../../src/clouds.ts';
import type { JanitorConfig, ResourceType } from '../schema.ts';
import type { Provider, ResourceHandler } from '../types.ts';

/** Where one handler works: an account (subscription, project) and a region ('*' for global). */
export interface Scope {
  account: string;
  region: string;
  /** The first region of its account: global listings (S3's ListBuckets) report unplaced names once, here. */
  primary: boolean;
}

/**
 * One resource type, declared by its own file: which provider it belongs to, whether the policy
 * asks for it, and how to build its handler for one scope from the policy and the cloud clients.
 * The registry (resources/index.ts) lists them in deletion order.
 */
export interface ResourceDescriptor {
  readonly type: ResourceType;
  readonly provider: Provider;
  wanted(config: JanitorConfig): boolean;
  handler(context: { config: JanitorConfig; clouds: CloudClients; scope: Scope }): Promise<ResourceHandler>;
}
