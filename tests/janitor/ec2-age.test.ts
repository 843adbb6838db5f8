import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instanceAge } from '../../modules/janitor/resources/aws-ec2-instance.ts';
import { Ec2RestartProxy } from '../helpers/clouds/ec2-restart.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';
import { janitorStep, runJanitor } from '../helpers/janitor.ts';

// An instance's real age, on moto_server through the real @aws-sdk/client-ec2. moto stamps every
// time with its own clock (now) and cannot be backdated, so the janitor's clock runs ten days
// ahead instead: to the janitor, moto's instances were launched ten days ago. moto also keeps the
// first LaunchTime across a stop and start, where EC2 resets it; Ec2RestartProxy adds that reset
// (see its comment), so the restarted instance's LaunchTime reads one hour before the janitor runs.
const DAY = 86_400_000;
let moto: MotoServer;
let proxy: Ec2RestartProxy;
let ec2: EC2Client;
let now: Date;

beforeAll(async () => {
  moto = await new MotoServer().start();
  proxy = await new Ec2RestartProxy(moto.url, () => new Date(now.getTime() - 3_600_000)).start();
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: proxy.url, credentials: moto.credentials, maxAttempts: 1 });
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  now = new Date(Date.now() + 10 * DAY);
});

const policy = () => `version: 1
dry_run: false
workflows:
  schedule: [janitor]
modules:
  janitor:
    ttl: 24h
    max_ttl: 7d
    terraform: { enabled: false }
    providers:
      aws:
        accounts: ["${moto.account}"]
        regions: [us-east-1]
        resources: [ec2_instance]
        ec2: { endpoint: "${proxy.url}" }
        sts: { endpoint: "${moto.url}" }
`;

async function launch(name: string, tags: Record<string, string> = {}): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries({ Name: name, ...tags }).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  return out.Instances![0]!.InstanceId!;
}
async function restart(id: string): Promise<void> {
  await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
  await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
}
const describeOne = async (id: string): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
const state = async (id: string) => (await describeOne(id)).State?.Name;

describe('the real age of an EC2 instance (moto_server)', () => {
  it('an instance launched ten days ago and restarted an hour ago is judged by its root volume, not its reset LaunchTime', async () => {
    const restarted = await launch('dg-build-1');
    const untouched = await launch('dg-build-2');
    await restart(restarted);

    const seen = await describeOne(restarted);
    expect(proxy.rewrites).toBeGreaterThan(0);
    // EC2 as the janitor sees it: LaunchTime an hour ago, the attachments ten days ago.
    expect(now.getTime() - seen.LaunchTime!.getTime()).toBe(3_600_000);
    expect(now.getTime() - seen.BlockDeviceMappings![0]!.Ebs!.AttachTime!.getTime()).toBeGreaterThan(9 * DAY);

    const result = await runJanitor(policy(), { now });
    expect(result.exitCode, JSON.stringify(janitorStep(result).outcome.findings)).toBe(0);
    const reasons = Object.fromEntries(janitorStep(result).outcome.decisions.filter((d) => d.decision !== 'deleted').map((d) => [d.subject.split('/').pop(), d.reason]));
    expect(reasons[restarted]).toMatch(/^expired (8d23h|9d)\S* ago \(created \S+, the root volume's attach time \(LaunchTime \S+ is later: reset by a stop and start\), \+ ttl 24h\)$/);
    expect(reasons[untouched]).toMatch(/^expired (8d23h|9d)\S* ago \(created \S+, LaunchTime, \+ ttl 24h\)$/);
    expect(await state(restarted)).toBe('terminated');
    expect(await state(untouched)).toBe('terminated');
  });

  it('a dg-created-at marker is weighed against the attach time, not the reset LaunchTime', async () => {
    // To the janitor: attached ten days ago, marked as created eight days ago, restarted an hour ago.
    const id = await launch('dg-build-3', { 'dg-created-at': String(Math.floor((Date.now() + 2 * DAY) / 1000)) });
    await restart(id);
    const result = await runJanitor(policy(), { now, dryRun: true });
    const decision = janitorStep(result).outcome.decisions.find((d) => d.subject.endsWith(id))!;
    expect(decision.decision).toBe('delete');
    expect(decision.reason).toMatch(/^expired (6d23h|7d)\S* ago \(created \S+, the dg-created-at marker, \+ ttl 24h; the root volume's attach time \(LaunchTime \S+ is later: reset by a stop and start\) \S+ is earlier\)$/);
  });
});

describe('instanceAge', () => {
  const at = (iso: string) => new Date(iso);
  const base: Instance = {
    LaunchTime: at('2026-11-29T10:00:00Z'),
    RootDeviceName: '/dev/xvda',
    BlockDeviceMappings: [
      { DeviceName: '/dev/sdf', Ebs: { AttachTime: at('2026-11-01T00:00:00Z') } },
      { DeviceName: '/dev/xvda', Ebs: { AttachTime: at('2026-11-20T10:00:05Z') } },
    ],
    NetworkInterfaces: [
      { Attachment: { DeviceIndex: 1, AttachTime: at('2026-11-02T00:00:00Z') } },
      { Attachment: { DeviceIndex: 0, AttachTime: at('2026-11-20T10:00:00Z') } },
    ],
  };

  it('takes the oldest of LaunchTime, the root volume and the primary interface; never a secondary volume or interface', () => {
    expect(instanceAge(base)).toEqual({ at: at('2026-11-20T10:00:00Z'), from: "the primary network interface's attach time (LaunchTime 2026-11-29T10:00:00.000Z is later: reset by a stop and start)" });
  });

  it('names LaunchTime when it is the oldest, or within a minute of the attachments', () => {
    expect(instanceAge({ ...base, LaunchTime: at('2026-11-20T09:59:59Z') })).toEqual({ at: at('2026-11-20T09:59:59Z'), from: 'LaunchTime' });
    expect(instanceAge({ ...base, LaunchTime: at('2026-11-20T10:00:30Z') })!.from).toBe("the primary network interface's attach time");
  });

  it('an instance-store root (no EBS mapping for the root device) falls back to the interface and LaunchTime', () => {
    expect(instanceAge({ ...base, RootDeviceName: '/dev/sda1', NetworkInterfaces: [] })).toEqual({ at: at('2026-11-29T10:00:00Z'), from: 'LaunchTime' });
    expect(instanceAge({})).toBeUndefined();
  });
});
