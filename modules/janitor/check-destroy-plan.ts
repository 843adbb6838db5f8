import { describeError } from '../../src/errors.ts';
import { mapLimit } from '../../src/limit.ts';
import type { Target } from './resources/index.ts';
import type { ResourceType } from './schema.ts';
import { eligibility, type EligibilityPolicy } from './select-expired.ts';
import type { PlannedChange } from './terraform.ts';
import type { Provider, Resource } from './types.ts';

/** What one planned change was found to be: safe to let Terraform remove, or why not. */
export interface ChangeCheck {
  address: string;
  ok: boolean;
  reason: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** How a Terraform resource type maps to the resource the janitor lists, reads and judges. */
interface Mapping {
  provider: Provider;
  type: ResourceType;
  id(values: Record<string, unknown>): string | undefined;
  region?(values: Record<string, unknown>): string | undefined;
  account?(values: Record<string, unknown>): string | undefined;
}

const MAPPINGS: Record<string, Mapping> = {
  aws_s3_bucket: { provider: 'aws', type: 's3_bucket', id: (v) => str(v.bucket) ?? str(v.id), region: (v) => str(v.region) },
  aws_instance: {
    provider: 'aws',
    type: 'ec2_instance',
    id: (v) => str(v.id),
    region: (v) => str(v.availability_zone)?.replace(/[a-z]$/, ''),
    account: (v) => /^arn:[^:]+:ec2:[^:]*:(\d{12}):/.exec(str(v.arn) ?? '')?.[1],
  },
  azurerm_resource_group: { provider: 'azure', type: 'resource_group', id: (v) => str(v.name), account: (v) => /\/subscriptions\/([^/]+)/i.exec(str(v.id) ?? '')?.[1] },
  google_storage_bucket: { provider: 'gcp', type: 'gcs_bucket', id: (v) => str(v.name), account: (v) => str(v.project) },
};

/** Parts of a bucket (its settings, its objects): removed with it, safe only when the bucket itself is. */
const BUCKET_PART = /^aws_s3_(bucket_[a-z_]+|object|object_copy)$/;
/** Types with no cloud side at all. */
const LOCAL_ONLY = /^(terraform_data|null_resource|time_[a-z_]+|random_[a-z_]+)$/;

/**
 * Checks every change of a destroy plan against the same eligibility rule as the API phase, on a
 * fresh read of each live resource (its tags as they are now, not as the state remembers them).
 * Anything that cannot be proven eligible (a type DriftGuard cannot read, a resource it cannot
 * find or whose tags it cannot read, one outside the allowlisted accounts and regions) fails.
 */
export async function checkDestroyPlan(changes: readonly PlannedChange[], targets: readonly Target[], policy: EligibilityPolicy, now: Date): Promise<ChangeCheck[]> {
  const checks = await mapLimit(changes, 4, async (change): Promise<ChangeCheck> => {
    const fail = (reason: string): ChangeCheck => ({ address: change.address, ok: false, reason });
    if (change.actions.length !== 1 || change.actions[0] !== 'delete') return fail(`the destroy plan would ${change.actions.join(' and ')} it`);
    if (change.provisioners) return fail('it has provisioners, and a destroy-time one would run commands DriftGuard cannot check');
    const mapping = MAPPINGS[change.type];
    if (!mapping) return BUCKET_PART.test(change.type) || LOCAL_ONLY.test(change.type) ? { address: change.address, ok: true, reason: 'pending' } : fail(`unknown resource type ${change.type}: its tags cannot be read to prove it eligible`);
    const id = mapping.id(change.values);
    if (!id) return fail('its id is not in the state');
    const region = mapping.region?.(change.values);
    const account = mapping.account?.(change.values);
    const candidates = targets.filter(
      (t) => t.provider === mapping.provider && t.type === mapping.type && (!account || t.account === account) && (!region || t.region === '*' || t.region === region),
    );
    if (candidates.length === 0) return fail(`${id} is in ${[account, region].filter(Boolean).join('/') || 'no known place'}, outside the accounts and regions the policy covers`);
    const errors: string[] = [];
    for (const target of candidates) {
      const stub: Resource = { provider: target.provider, type: target.type, id, name: id, account: target.account, region: region ?? target.region };
      let fresh: Resource | undefined;
      try {
        fresh = await target.handler.get(stub);
      } catch (err) {
        errors.push(describeError(err));
        continue;
      }
      if (!fresh) continue;
      const decision = eligibility(fresh, policy, now);
      return decision.eligible ? { address: change.address, ok: true, reason: `${id}: ${decision.reason}` } : fail(`${id} must be kept: ${decision.reason}`);
    }
    return fail(errors.length > 0 ? `${id} could not be read: ${errors[0]}` : `${id} was not found, so it cannot be proven eligible`);
  });

  // A bucket's parts and local-only resources go only with an environment whose cloud resources all may go.
  const removedBuckets = new Set<string>();
  changes.forEach((change, i) => {
    if (change.type === 'aws_s3_bucket' && checks[i]!.ok) removedBuckets.add(MAPPINGS.aws_s3_bucket!.id(change.values)!);
  });
  return checks.map((check, i) => {
    if (check.reason !== 'pending') return check;
    const change = changes[i]!;
    if (LOCAL_ONLY.test(change.type)) return { ...check, reason: 'no cloud resource' };
    const bucket = str(change.values.bucket);
    return bucket && removedBuckets.has(bucket)
      ? { ...check, reason: `part of bucket ${bucket}, which is removed as eligible` }
      : { address: change.address, ok: false, reason: `it belongs to bucket ${bucket ?? '(unknown)'}, which this destroy does not remove as eligible` };
  });
}

/** One line naming what must be kept, or undefined when every change is proven eligible. */
export function refusalOf(checks: readonly ChangeCheck[]): string | undefined {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return undefined;
  const shown = failed.slice(0, 3).map((c) => `${c.address}: ${c.reason}`);
  return `the destroy would also remove what is not proven eligible: ${shown.join('; ')}${failed.length > 3 ? `; and ${failed.length - 3} more` : ''}`;
}
