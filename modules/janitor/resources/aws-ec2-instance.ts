import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { describeError } from '../../../src/errors.ts';
import { withRetry } from '../../../src/retry.ts';
import type { Resource, ResourceHandler } from '../types.ts';
import type { ResourceDescriptor } from './descriptor.ts';

const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
const code = (err: unknown) => (err as { name?: string }).name ?? '';

export interface Ec2Target {
  client: EC2Client;
  account: string;
  region: string;
}

/**
 * An instance's real age. LaunchTime is the time of the last start, so a stop and start resets
 * it; the root EBS volume's and the primary network interface's (device index 0) attach times are
 * set once, when the instance is launched, and survive restarts. The oldest of the three is used,
 * and `from` names which it was (and, when LaunchTime is later, that it was reset).
 * Times in the future or unreadable are ignored; undefined when none is readable.
 */
export function instanceAge(i: Instance): { at: Date; from: string } | undefined {
  const valid = (d: Date | undefined): d is Date => d instanceof Date && !Number.isNaN(d.getTime());
  const root = i.RootDeviceName ? i.BlockDeviceMappings?.find((b) => b.DeviceName === i.RootDeviceName)?.Ebs?.AttachTime : undefined;
  const eni = i.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)?.Attachment?.AttachTime;
  // LaunchTime first: with equal times, the reason names it.
  const candidates = [
    { at: i.LaunchTime, from: 'LaunchTime' },
    { at: root, from: "the root volume's attach time" },
    { at: eni, from: "the primary network interface's attach time" },
  ].filter((c): c is { at: Date; from: string } => valid(c.at));
  if (candidates.length === 0) return undefined;
  const oldest = candidates.reduce((a, b) => (b.at.getTime() < a.at.getTime() ? b : a));
  const launch = valid(i.LaunchTime) ? i.LaunchTime : undefined;
  // A minute of slack: the attachments are stamped a moment after the launch itself.
  const reset = launch && oldest.from !== 'LaunchTime' && launch.getTime() - oldest.at.getTime() > 60_000;
  return { at: oldest.at, from: reset ? `${oldest.from} (LaunchTime ${launch.toISOString()} is later: reset by a stop and start)` : oldest.from };
}

/**
 * EC2 instances: named by their Name tag, aged by the oldest of LaunchTime and the root volume's
 * and primary network interface's attach times (see instanceAge), terminated one call each (EC2's
 * throttling answers go through the retry helper). Termination protection is never switched off.
 */
export async function ec2Instances(target: Ec2Target): Promise<ResourceHandler> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const { client, account, region } = target;
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 200, maxDelayMs: 8000, maxElapsedMs: 120_000 });

  const toResource = (i: Instance): Resource => {
    const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const age = instanceAge(i);
    return { provider: 'aws', type: 'ec2_instance', id: i.InstanceId!, name: tags.Name ?? '', account, region, ...(age ? { createdAt: age.at, createdFrom: age.from } : {}), tags };
  };

  /** Live instances: all, those ids (NotFound when one is unknown), or those among `among` (never NotFound). */
  async function describe(ids?: string[], among?: string[]): Promise<Resource[]> {
    const out: Resource[] = [];
    let token: string | undefined;
    do {
      const page = await call(() =>
        client.send(
          new ec2.DescribeInstancesCommand({
            ...(ids ? { InstanceIds: ids } : { MaxResults: 1000 }),
            Filters: [{ Name: 'instance-state-name', Values: LIVE_STATES }, ...(among ? [{ Name: 'instance-id', Values: among }] : [])],
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      ).catch((err: unknown) => {
        if (ids && code(err) === 'InvalidInstanceID.NotFound') return { Reservations: [], NextToken: undefined };
        throw err;
      });
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) if (instance.InstanceId && (!among || among.includes(instance.InstanceId))) out.push(toResource(instance));
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  return {
    type: 'ec2_instance',
    provider: 'aws',
    list: async () => ({ resources: await describe(), skipped: [] }),
    async get(resource) {
      return (await describe([resource.id]))[0];
    },
    async remaining(resources) {
      // A filter on instance-id, not InstanceIds: one id gone for good must not fail the whole batch.
      const still = new Set<string>();
      const ids = resources.map((r) => r.id);
      for (let i = 0; i < ids.length; i += 200) for (const r of await describe(undefined, ids.slice(i, i + 200))) still.add(r.id);
      return still;
    },
    async delete(resource) {
      try {
        const attribute = await call(() => client.send(new ec2.DescribeInstanceAttributeCommand({ InstanceId: resource.id, Attribute: 'disableApiTermination' })));
        if (attribute.DisableApiTermination?.Value) return { status: 'refused', reason: 'termination protection is on; DriftGuard never switches it off' };
        await call(() => client.send(new ec2.TerminateInstancesCommand({ InstanceIds: [resource.id] })));
        return { status: 'deleted' };
      } catch (err) {
        if (code(err) === 'InvalidInstanceID.NotFound') return { status: 'gone' };
        if (code(err) === 'OperationNotPermitted') return { status: 'refused', reason: describeError(err) };
        return { status: 'failed', reason: describeError(err) };
      }
    },
  };
}

export const ec2Instance: ResourceDescriptor = {
  type: 'ec2_instance',
  provider: 'aws',
  wanted: (config) => config.providers.aws?.resources.includes('ec2_instance') ?? false,
  async handler({ config, clouds, scope: { account, region } }) {
    const client = await clouds.ec2({ region, endpoint: config.providers.aws!.ec2.endpoint, account });
    return ec2Instances({ client, account, region });
  },
};
