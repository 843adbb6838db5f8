import { GetResourcesCommand, type ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { withRetry } from '../../src/retry.ts';
import type { StandardFinding } from './findings.ts';

/**
 * Every resource in `region` tagged `tagKey=project`, read-only through the Resource Groups
 * Tagging API (GetResources with TagFilters, paged by PaginationToken). Returns ARNs.
 */
export async function taggedResources(client: ResourceGroupsTaggingAPIClient, tagKey: string, project: string): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await withRetry(() => client.send(new GetResourcesCommand({ TagFilters: [{ Key: tagKey, Values: [project] }], ResourcesPerPage: 100, ...(token ? { PaginationToken: token } : {}) })), { retries: 4, minDelayMs: 200, maxElapsedMs: 30_000 });
    for (const m of page.ResourceTagMappingList ?? []) if (m.ResourceARN) arns.push(m.ResourceARN);
    token = page.PaginationToken || undefined;
  } while (token);
  return arns;
}

/** One finding per resource a deprecated project still has. */
export function resourcesLeft(project: string, tagKey: string, region: string, arns: readonly string[]): StandardFinding[] {
  return arns.map((arn) => ({ domain: 'infra', rule: 'infra.deprecated-resource', setting: `resources tagged ${tagKey}=${project} (${region})`, expected: 'none (status: deprecated)', actual: arn, message: `${arn} still exists although the project is deprecated` }));
}
