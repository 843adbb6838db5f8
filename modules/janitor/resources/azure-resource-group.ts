import type { ResourceManagementClient } from '@azure/arm-resources';
import { describeError } from '../../../src/errors.ts';
import { withRetry } from '../../../src/retry.ts';
import type { Resource, ResourceHandler } from '../types.ts';
import type { ResourceDescriptor } from './descriptor.ts';

export interface AzureTarget {
  client: ResourceManagementClient;
  subscription: string;
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;
const codeOf = (err: unknown) => (err as { code?: string }).code ?? '';

/**
 * Azure resource groups: a group takes everything in it with it, so it is the unit of deletion.
 * Deletes are long-running operations, polled to the end. A management lock (ScopeLocked) is
 * never removed: the group is reported, not forced. ARM gives a group no creation time, so its
 * age comes from the dg-created-at or dg-expires-at tags.
 */
export function resourceGroups(target: AzureTarget): ResourceHandler {
  const { client, subscription } = target;
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 200, maxDelayMs: 8000, maxElapsedMs: 120_000 });
  const toResource = (g: { id?: string; name?: string; location?: string; tags?: Record<string, string> }): Resource => ({
    provider: 'azure',
    type: 'resource_group',
    id: g.name ?? '',
    name: g.name ?? '',
    account: subscription,
    region: g.location ?? '',
    tags: g.tags ?? {},
  });
  return {
    type: 'resource_group',
    provider: 'azure',
    async list() {
      const resources = await call(async () => {
        const groups: Resource[] = [];
        for await (const g of client.resourceGroups.list()) groups.push(toResource(g));
        return groups;
      });
      return { resources, skipped: [] };
    },
    async get(resource) {
      try {
        return toResource(await call(() => client.resourceGroups.get(resource.id)));
      } catch (err) {
        if (statusOf(err) === 404 || codeOf(err) === 'ResourceGroupNotFound') return undefined;
        throw err;
      }
    },
    async delete(resource) {
      try {
        await call(() => client.resourceGroups.beginDeleteAndWait(resource.id, { updateIntervalInMs: 50 }));
        return { status: 'deleted' };
      } catch (err) {
        if (statusOf(err) === 404 || codeOf(err) === 'ResourceGroupNotFound') return { status: 'gone' };
        if (codeOf(err) === 'ScopeLocked') return { status: 'refused', reason: 'a management lock protects it; DriftGuard never removes locks' };
        return { status: 'failed', reason: describeError(err) };
      }
    },
  };
}

export const resourceGroup: ResourceDescriptor = {
  type: 'resource_group',
  provider: 'azure',
  wanted: (config) => config.providers.azure?.resources.includes('resource_group') ?? false,
  async handler({ config, clouds, scope: { account } }) {
    return resourceGroups({ client: await clouds.azureResources({ subscription: account, endpoint: config.providers.azure!.endpoint }), subscription: account });
  },
};
