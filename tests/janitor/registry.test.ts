import { describe, expect, it } from 'vitest';
import { DELETION_ORDER, RESOURCES } from '../../modules/janitor/resources/index.ts';
import { JanitorConfig, RESOURCE_TYPES } from '../../modules/janitor/schema.ts';
import { testClouds } from '../helpers/janitor.ts';

// One spec over the whole registry: every resource type declared once, by its own file, in
// deletion order, and each descriptor builds a handler of its own type and provider.
describe('janitor resource registry', () => {
  it('lists every resource type of the schema exactly once, in deletion order', () => {
    expect([...RESOURCES.map((r) => r.type)].sort()).toEqual([...RESOURCE_TYPES].sort());
    expect(DELETION_ORDER).toEqual(RESOURCES.map((r) => r.type));
    // Instances go before the buckets they may write to.
    expect(DELETION_ORDER.indexOf('ec2_instance')).toBeLessThan(DELETION_ORDER.indexOf('s3_bucket'));
  });

  it.each(RESOURCES.map((r) => [r.type, r] as const))('%s: its descriptor builds a handler of its own type and provider from the policy', async (_, descriptor) => {
    const config = JanitorConfig.parse({
      providers: {
        aws: { accounts: ['111111111111'], regions: ['eu-west-1'], s3: { endpoint: 'http://127.0.0.1:9' }, ec2: { endpoint: 'http://127.0.0.1:9' } },
        azure: { subscriptions: ['00000000-0000-0000-0000-000000000000'], endpoint: 'https://127.0.0.1:9' },
        gcp: { projects: ['my-sandbox-project'], endpoint: 'http://127.0.0.1:9' },
      },
    });
    expect(descriptor.wanted(config)).toBe(true);
    const account = { aws: '111111111111', azure: '00000000-0000-0000-0000-000000000000', gcp: 'my-sandbox-project' }[descriptor.provider];
    const clouds = testClouds({ azureResources: async () => ({ resourceGroups: {} }) as never });
    const handler = await descriptor.handler({ config, clouds, scope: { account, region: descriptor.provider === 'aws' ? 'eu-west-1' : '*', primary: true } });
    expect(handler.type).toBe(descriptor.type);
    expect(handler.provider).toBe(descriptor.provider);
    for (const method of ['list', 'get', 'delete'] as const) expect(typeof handler[method]).toBe('function');
    expect(descriptor.wanted(JanitorConfig.parse({}))).toBe(false);
  });
});
