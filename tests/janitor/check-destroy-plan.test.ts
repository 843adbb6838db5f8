import { describe, expect, it } from 'vitest';
import { checkDestroyPlan, refusalOf } from '../../modules/janitor/check-destroy-plan.ts';
import type { Target } from '../../modules/janitor/resources/index.ts';
import type { EligibilityPolicy } from '../../modules/janitor/select-expired.ts';
import { plannedChanges, type PlannedChange } from '../../modules/janitor/terraform.ts';
import type { Resource, ResourceHandler } from '../../modules/janitor/types.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const PAST = '1763000000';
const POLICY: EligibilityPolicy = { prefix: 'dg-', ttl: '24h', max_ttl: '7d', protected_tags: { Protected: 'true' }, allowed: { aws: ['111111111111'], azure: [], gcp: [] } };

/** A target whose handler reads from a map; a missing entry is "not found", an Error is a failed read. */
function target(type: 's3_bucket' | 'ec2_instance', region: string, live: Record<string, Partial<Resource> | Error>): Target {
  const handler = {
    type,
    provider: 'aws',
    async get(r: Resource) {
      const found = live[r.id];
      if (found instanceof Error) throw found;
      return found ? { ...r, name: r.id, createdAt: new Date('2026-11-01T00:00:00Z'), tags: {}, ...found } : undefined;
    },
  } as unknown as ResourceHandler;
  return { provider: 'aws', account: '111111111111', region, type, handler } as Target;
}

const change = (address: string, type: string, values: Record<string, unknown>, extra: Partial<PlannedChange> = {}): PlannedChange => ({ address, type, actions: ['delete'], values, provisioners: false, ...extra });

describe('checkDestroyPlan: every planned delete must itself be eligible, on a fresh read', () => {
  const s3 = target('s3_bucket', 'eu-west-1', {
    'dg-old': { tags: { 'dg-expires-at': PAST } },
    'dg-kept': { tags: { 'dg-expires-at': PAST, Protected: 'true' } },
    'dg-denied': new Error('AccessDenied: no'),
  });
  const ec2 = target('ec2_instance', 'eu-west-1', { 'i-1': { name: 'dg-runner', tags: { Name: 'dg-runner', 'dg-expires-at': PAST } } });

  it('accepts eligible buckets and instances, their bucket parts and local-only resources', async () => {
    const checks = await checkDestroyPlan(
      [
        change('aws_s3_bucket.a', 'aws_s3_bucket', { bucket: 'dg-old', region: 'eu-west-1' }),
        change('aws_s3_bucket_public_access_block.a', 'aws_s3_bucket_public_access_block', { bucket: 'dg-old' }),
        change('module.env.aws_instance.runner', 'aws_instance', { id: 'i-1', availability_zone: 'eu-west-1b', arn: 'arn:aws:ec2:eu-west-1:111111111111:instance/i-1' }),
        change('module.env.time_static.created', 'time_static', {}),
      ],
      [ec2, s3],
      POLICY,
      NOW,
    );
    expect(checks.map((c) => [c.address, c.ok])).toEqual([
      ['aws_s3_bucket.a', true],
      ['aws_s3_bucket_public_access_block.a', true],
      ['module.env.aws_instance.runner', true],
      ['module.env.time_static.created', true],
    ]);
    expect(refusalOf(checks)).toBeUndefined();
  });

  it.each([
    [change('aws_s3_bucket.k', 'aws_s3_bucket', { bucket: 'dg-kept', region: 'eu-west-1' }), 'dg-kept must be kept: protected by tag Protected=true'],
    [change('aws_s3_bucket.d', 'aws_s3_bucket', { bucket: 'dg-denied', region: 'eu-west-1' }), 'dg-denied could not be read: AccessDenied: no'],
    [change('aws_s3_bucket.g', 'aws_s3_bucket', { bucket: 'dg-ghost', region: 'eu-west-1' }), 'dg-ghost was not found, so it cannot be proven eligible'],
    [change('aws_s3_bucket.r', 'aws_s3_bucket', { bucket: 'dg-old', region: 'us-east-2' }), 'dg-old is in us-east-2, outside the accounts and regions the policy covers'],
    [change('aws_instance.x', 'aws_instance', { id: 'i-1', arn: 'arn:aws:ec2:eu-west-1:222222222222:instance/i-1' }), 'i-1 is in 222222222222, outside the accounts and regions the policy covers'],
    [change('aws_iam_role.r', 'aws_iam_role', { name: 'dg-role' }), 'unknown resource type aws_iam_role: its tags cannot be read to prove it eligible'],
    [change('aws_s3_bucket_policy.p', 'aws_s3_bucket_policy', { bucket: 'shared-logs' }), 'it belongs to bucket shared-logs, which this destroy does not remove as eligible'],
    [change('terraform_data.hook', 'terraform_data', {}, { provisioners: true }), 'it has provisioners, and a destroy-time one would run commands DriftGuard cannot check'],
    [change('aws_s3_bucket.c', 'aws_s3_bucket', { bucket: 'dg-old', region: 'eu-west-1' }, { actions: ['create'] }), 'the destroy plan would create it'],
  ])('refuses %#: %s', async (planned, reason) => {
    const checks = await checkDestroyPlan([planned], [ec2, s3], POLICY, NOW);
    expect(checks).toEqual([{ address: planned.address, ok: false, reason }]);
    expect(refusalOf(checks)).toBe(`the destroy would also remove what is not proven eligible: ${planned.address}: ${reason}`);
  });
});

describe('plannedChanges: the changes of `terraform show -json` of a destroy plan', () => {
  it('reads managed changes, skips no-ops and data sources, and finds provisioners in nested modules', () => {
    const plan = {
      resource_changes: [
        { address: 'aws_s3_bucket.a', mode: 'managed', type: 'aws_s3_bucket', name: 'a', change: { actions: ['delete'], before: { bucket: 'dg-a' } } },
        { address: 'data.aws_caller_identity.me', mode: 'data', type: 'aws_caller_identity', name: 'me', change: { actions: ['delete'], before: {} } },
        { address: 'module.env["x"].terraform_data.hook', module_address: 'module.env["x"]', mode: 'managed', type: 'terraform_data', name: 'hook', change: { actions: ['delete'], before: {} } },
        { address: 'terraform_data.gone', mode: 'managed', type: 'terraform_data', name: 'gone', change: { actions: ['no-op'], before: {} } },
      ],
      configuration: { root_module: { module_calls: { env: { module: { resources: [{ address: 'terraform_data.hook', type: 'terraform_data', name: 'hook', provisioners: [{ type: 'local-exec' }] }] } } } } },
    };
    expect(plannedChanges(plan)).toEqual([
      { address: 'aws_s3_bucket.a', type: 'aws_s3_bucket', actions: ['delete'], values: { bucket: 'dg-a' }, provisioners: false },
      { address: 'module.env["x"].terraform_data.hook', type: 'terraform_data', actions: ['delete'], values: {}, provisioners: true },
    ]);
    expect(() => plannedChanges({ format_version: '1.2' })).toThrow('no resource_changes in the plan JSON');
  });
});
