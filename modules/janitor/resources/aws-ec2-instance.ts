import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { describeError } from '../../../src/errors.ts';
import { withRetry } from '../../../src/retry.ts';
import type { Resource, ResourceHandler } from '../types.ts';

const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
const code = (err: unknown) => (err as { name?: string }).name ?? '';

export interface Ec2Target {
  client: EC2Client;
  account: string;
  region: string;
}

/**
 * EC2 instances: named by their Name tag, aged by LaunchTime, terminated one call at a time
 * (EC2's API rate limits are strict). Termination protection is never switched off.
 */
export async function ec2Instances(target: Ec2Target): Promise<ResourceHandler> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const { client, account, region } = target;
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 5, minDelayMs: 200, maxDelayMs: 8000, maxElapsedMs: 120_000 });

  const toResource = (i: Instance): Resource => {
    const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    return { provider: 'aws', type: 'ec2_instance', id: i.InstanceId!, name: tags.Name ?? '', account, region, ...(i.LaunchTime ? { createdAt: i.LaunchTime } : {}), tags };
  };

  async function describe(ids?: string[]): Promise<Resource[]> {
    const out: Resource[] = [];
    let token: string | undefined;
    do {
      const page = await call(() =>
        client.send(
          new ec2.DescribeInstancesCommand({
            ...(ids ? { InstanceIds: ids } : { MaxResults: 1000 }),
            Filters: [{ Name: 'instance-state-name', Values: LIVE_STATES }],
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      ).catch((err: unknown) => {
        if (ids && code(err) === 'InvalidInstanceID.NotFound') return { Reservations: [], NextToken: undefined };
        throw err;
      });
      for (const reservation of page.Reservations ?? []) for (const instance of reservation.Instances ?? []) if (instance.InstanceId) out.push(toResource(instance));
      token = page.NextToken;
    } while (token);
    return out;
  }

  return {
    type: 'ec2_instance',
    provider: 'aws',
    concurrency: 1,
    list: () => describe(),
    async get(resource) {
      return (await describe([resource.id]))[0];
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
