import { readFile } from 'node:fs/promises';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { withRetry } from '../../src/retry.ts';
import type { StandardFinding } from './findings.ts';

/**
 * Every resource in `region` tagged `tagKey=project`, read-only through the Resource Groups
 * Tagging API (GetResources with TagFilters, paged by PaginationToken). Returns ARNs.
 */
export async function taggedResources(client: ResourceGroupsTaggingAPIClient, tagKey: string, project: string): Promise<string[]> {
  // Loaded here, not with the module: a scan without the infra domain never loads the AWS SDK.
  const { GetResourcesCommand } = await import('@aws-sdk/client-resource-groups-tagging-api');
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await withRetry(() => client.send(new GetResourcesCommand({ TagFilters: [{ Key: tagKey, Values: [project] }], ResourcesPerPage: 100, ...(token ? { PaginationToken: token } : {}) })), { retries: 4, minDelayMs: 200, maxElapsedMs: 30_000 });
    for (const m of page.ResourceTagMappingList ?? []) if (m.ResourceARN) arns.push(m.ResourceARN);
    token = page.PaginationToken || undefined;
  } while (token);
  return arns;
}

/**
 * One finding per resource a deprecated project still has. `where` is the account and region
 * searched ("111111111111 eu-west-1", or the region alone when no account is configured).
 */
export function resourcesLeft(project: string, tagKey: string, where: string, arns: readonly string[]): StandardFinding[] {
  return arns.map((arn) => ({ domain: 'infra', rule: 'infra.deprecated-resource', setting: `resources tagged ${tagKey}=${project} (${where})`, expected: 'none (status: deprecated)', actual: arn, message: `${arn} still exists in ${where} although the project is deprecated` }));
}

/**
 * Every ARN a Terraform state JSON names: `terraform state pull` (resources[].instances[].attributes.arn)
 * or `terraform show -json` (values.root_module and its child modules, resources[].values.arn),
 * read as any string under a key named `arn`. Undefined when the file does not exist.
 * @throws Error naming the file when it is not JSON
 */
export async function stateArns(file: string): Promise<Set<string> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON (expected \`terraform state pull\` or \`terraform show -json\` output)`);
  }
  const arns = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'arn' && typeof value === 'string' && value.startsWith('arn:')) arns.add(value);
        else walk(value);
      }
    }
  };
  walk(data);
  return arns;
}

/** One finding per tagged resource its project's Terraform state does not hold; `where` as for `resourcesLeft`. */
export function orphans(project: string, tagKey: string, where: string, stateFile: string, tagged: readonly string[], inState: ReadonlySet<string>): StandardFinding[] {
  return tagged.filter((arn) => !inState.has(arn)).map((arn) => ({ domain: 'infra', rule: 'infra.orphan', setting: `resources tagged ${tagKey}=${project} (${where})`, expected: `in the Terraform state ${stateFile}`, actual: arn, message: `${arn} (${where}) is tagged with the project but not managed by its Terraform state` }));
}
