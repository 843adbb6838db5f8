import { describe, expect, it } from 'vitest';
import { classify, SENSITIVE } from '../../modules/drift/classify.ts';
import { applyIgnore, baselineRules } from '../../modules/drift/ignore.ts';
import { PLAN } from './plan-fixture.ts';

describe('drift classification from the plan JSON', () => {
  it('reads changed and deleted resources, attribute by attribute, and skips data sources', () => {
    const items = classify(PLAN);
    expect(items.map((i) => [i.address, i.kind])).toEqual([
      ['aws_security_group.web', 'changed'],
      ['aws_db_instance.main', 'changed'],
      ['module.net.aws_subnet.private[1]', 'deleted'],
    ]);
    expect(items[0]!.attributes.map((a) => a.path)).toEqual(['ingress', 'tags.Owner']);
  });

  it('names a changed sensitive attribute, its value shown as (sensitive), never the secret', () => {
    const db = classify(PLAN)[1]!;
    expect(db.attributes.map((a) => [a.path, a.before, a.after, a.sensitive ?? false])).toEqual([
      ['allocated_storage', 20, 50, false],
      ['password', SENSITIVE, SENSITIVE, true],
    ]);
    // Only the password changed: it is still drift, and it says which attribute.
    const onlySecret = structuredClone(PLAN);
    onlySecret.resource_drift[1]!.change.after = { identifier: 'main', password: 'rotated-000', allocated_storage: 20 } as never;
    const [, item] = classify(onlySecret);
    expect(item!.attributes).toEqual([{ path: 'password', segments: ['password'], before: SENSITIVE, after: SENSITIVE, sensitive: true }]);
    expect(JSON.stringify(classify(onlySecret))).not.toMatch(/rotated-000|db-password/);
  });

  it('an unset map or list read back as empty is no drift', () => {
    const plan = structuredClone(PLAN);
    plan.resource_drift[0]!.change.before = { ...(plan.resource_drift[0]!.change.before as object), labels: null, rules: null } as never;
    plan.resource_drift[0]!.change.after = { ...(plan.resource_drift[0]!.change.after as object), labels: {}, rules: [] } as never;
    expect(classify(plan)[0]!.attributes.map((a) => a.path)).toEqual(['ingress', 'tags.Owner']);
    const only = structuredClone(PLAN);
    only.resource_drift[0]!.change.before = { id: 'sg-1', tags: null } as never;
    only.resource_drift[0]!.change.after = { id: 'sg-1', tags: {} } as never;
    expect(classify(only).map((i) => i.address)).toEqual(['aws_db_instance.main', 'module.net.aws_subnet.private[1]']);
  });

  it('keeps a map key with "/" and "." as one segment', () => {
    const plan = structuredClone(PLAN);
    (plan.resource_drift[0]!.change.after as { tags: Record<string, string> }).tags['kubernetes.io/role/internal-elb'] = '1';
    expect(classify(plan)[0]!.attributes.map((a) => a.path)).toEqual(['ingress', 'tags.Owner', 'tags["kubernetes.io/role/internal-elb"]']);
  });

  it('redacts sensitive values before anything leaves the process', () => {
    expect(JSON.stringify(classify(PLAN))).not.toContain('db-password');
    expect(SENSITIVE).toBe('(sensitive)');
  });

  it('refuses what is not plan JSON, naming the problem: never read as clean', () => {
    expect(() => classify({ resource_drift: [] })).toThrow(/no format_version/);
    expect(() => classify('nope')).toThrow(/not an object/);
    expect(() => classify({ ...PLAN, format_version: '2.0' })).toThrow(/format_version "2\.0" is not supported \(expected >= 0\.1 and < 2\.0\)/);
    expect(() => classify({ ...PLAN, format_version: '0.0' })).toThrow(/not supported/);
    expect(() => classify({ ...PLAN, format_version: 1.2 })).toThrow(/format_version/);
    expect(() => classify({ ...PLAN, resource_drift: { address: 'x' } })).toThrow(/resource_drift: .*(expected array|expected a list)/i);
    expect(() => classify({ ...PLAN, resource_drift: [{ address: 'a.b', type: 'a', name: 'b', change: { actions: 'update' } }] })).toThrow(/resource_drift\.0\.change\.actions/);
    expect(() => classify({ ...PLAN, errored: true })).toThrow(/errored/);
    // `terraform show -json` of a state, and a raw state file.
    expect(() => classify({ format_version: '1.0', terraform_version: '1.11.4', values: { root_module: { resources: [] } } })).toThrow(/this is a Terraform state, not a plan/);
    expect(() => classify({ format_version: '1.0' })).toThrow(/this is a Terraform state, not a plan/);
    expect(() => classify({ version: 4, terraform_version: '1.11.4', serial: 3, lineage: 'x', resources: [] })).toThrow(/no format_version/);
    expect(classify({ format_version: '1.2', terraform_version: '1.11.4', planned_values: { root_module: {} } })).toEqual([]);
    expect(classify({ ...PLAN, format_version: '0.1' })).toHaveLength(3);
  });
});

describe('ignore rules and the baseline', () => {
  const items = classify(PLAN);
  it('ignores a resource, an attribute, with globs, and re-includes with !', () => {
    expect(applyIgnore(items, ['aws_security_group.web']).ignored).toEqual(['aws_security_group.web']);
    const byAttribute = applyIgnore(items, ['aws_security_group.web.tags.*']);
    expect(byAttribute.kept.find((i) => i.type === 'aws_security_group')!.attributes.map((a) => a.path)).toEqual(['ingress']);
    expect(applyIgnore(items, ['aws_*.*', '!aws_db_instance.*']).kept.map((i) => i.address)).toEqual(['aws_db_instance.main']);
    expect(applyIgnore(items, ['aws_subnet.private']).ignored).toEqual(['module.net.aws_subnet.private[1]']);
  });

  /** A drifted resource with the given attributes changed (the same keys before, other values after). */
  const drifted = (address: string, before: Record<string, unknown>, after: Record<string, unknown>, sensitive: Record<string, unknown> = {}) => {
    const [type, name] = address.replace(/^(module\.[^.]+\.)+/, '').replace(/\[.*\]$/, '').split('.') as [string, string];
    return classify({ ...PLAN, resource_drift: [{ address, mode: 'managed', type, name, change: { actions: ['update'], before, after, before_sensitive: sensitive, after_sensitive: sensitive } }] });
  };
  const kept = (found: ReturnType<typeof classify>, rules: string[]) => applyIgnore(found, rules).kept.flatMap((i) => i.attributes.map((a) => `${i.address} ${a.path}`));

  it('matches map keys holding "/" and "." as one segment, with * and ** across them', () => {
    const elb = drifted('aws_subnet.a', { tags: { Name: 'a' } }, { tags: { Name: 'b', 'kubernetes.io/role/internal-elb': '1', 'kubernetes.io/cluster/prod': 'owned' } });
    expect(kept(elb, ['aws_subnet.a.tags["kubernetes.io/role/internal-elb"]'])).toEqual(['aws_subnet.a tags.Name', 'aws_subnet.a tags["kubernetes.io/cluster/prod"]']);
    expect(kept(elb, ['aws_subnet.a.tags["kubernetes.io/*"]'])).toEqual(['aws_subnet.a tags.Name']);
    expect(kept(elb, ['aws_subnet.*.tags.*'])).toEqual([]);
    expect(kept(elb, ['**.tags["kubernetes.io/*"]'])).toEqual(['aws_subnet.a tags.Name']);
    expect(kept(elb, ['aws_subnet.a.tags.Name'])).toEqual(['aws_subnet.a tags["kubernetes.io/cluster/prod"]', 'aws_subnet.a tags["kubernetes.io/role/internal-elb"]']);
    // The quoted form and the dotted form of a simple key are the same segment.
    expect(kept(elb, ['aws_subnet.a.tags["Name"]'])).toEqual(kept(elb, ['aws_subnet.a.tags.Name']));
  });

  it('matches nested blocks, module resources and indexed resources', () => {
    const nested = drifted('module.eks.module.nodes.aws_instance.node[2]', { root_block_device: { volume_size: 20, iops: 100 } }, { root_block_device: { volume_size: 40, iops: 200 } });
    expect(kept(nested, ['aws_instance.node.root_block_device.volume_size'])).toEqual(['module.eks.module.nodes.aws_instance.node[2] root_block_device.iops']);
    expect(kept(nested, ['module.eks.module.nodes.aws_instance.node[2].root_block_device'])).toEqual([]);
    expect(kept(nested, ['module.eks.module.nodes.aws_instance.node[1]'])).toHaveLength(2);
    expect(kept(nested, ['module.eks.**.aws_instance.node[*].root_block_device.iops'])).toEqual(['module.eks.module.nodes.aws_instance.node[2] root_block_device.volume_size']);
    const keyed = drifted('aws_s3_bucket.logs["eu/west"]', { acl: 'private' }, { acl: 'public-read' });
    expect(kept(keyed, ['aws_s3_bucket.logs["eu/west"]'])).toEqual([]);
    expect(kept(keyed, ['aws_s3_bucket.logs["us/*"]'])).toEqual(['aws_s3_bucket.logs["eu/west"] acl']);
  });

  it('the README examples, as written', () => {
    const bastion = drifted('aws_instance.bastion', { ami: 'ami-1', tags: { Owner: 'a' } }, { ami: 'ami-2', tags: { Owner: 'b' } });
    // Ignore the bastion, but not a change of its AMI.
    expect(kept(bastion, ['aws_instance.bastion', '!aws_instance.bastion.ami'])).toEqual(['aws_instance.bastion ami']);
    const asg = drifted('aws_autoscaling_group.web', { desired_capacity: 2, max_size: 4 }, { desired_capacity: 3, max_size: 5 });
    expect(kept(asg, ['aws_autoscaling_group.*.desired_capacity'])).toEqual(['aws_autoscaling_group.web max_size']);
    const tagged = drifted('aws_subnet.private', { tags: { 'kubernetes.io/role/internal-elb': '0' } }, { tags: { 'kubernetes.io/role/internal-elb': '1' } });
    expect(kept(tagged, ['*.*.tags["kubernetes.io/*"]'])).toEqual([]);
  });

  it('an ignore rule on tags never hides a sensitive change', () => {
    const db = drifted('aws_db_instance.main', { password: 'a', tags: { Owner: 'x' } }, { password: 'b', tags: { Owner: 'y' } }, { password: true });
    expect(kept(db, ['aws_db_instance.main.tags'])).toEqual(['aws_db_instance.main password']);
  });

  it('an attribute rule never ignores a deleted resource', () => {
    expect(applyIgnore(items, ['aws_subnet.private.tags']).kept.map((i) => i.address)).toContain('module.net.aws_subnet.private[1]');
  });

  it('refuses a rule it cannot read, naming it', () => {
    expect(() => applyIgnore(items, ['aws_instance.web.tags["open'])).toThrow(/^ignore rule "aws_instance\.web\.tags\[.*open": unterminated quoted key at character \d+/);
    expect(() => applyIgnore(items, ['aws_instance..web'])).toThrow(/expected a name/);
  });

  it('a baseline made from today\'s drift ignores exactly today\'s drift, attribute by attribute', () => {
    const rules = baselineRules(items);
    expect(rules).toEqual(['aws_db_instance.main.allocated_storage', 'aws_db_instance.main.password', 'aws_security_group.web.ingress', 'aws_security_group.web.tags.Owner', 'module.net.aws_subnet.private[1]']);
    expect(applyIgnore(items, rules).kept).toEqual([]);
    const tomorrow = structuredClone(PLAN);
    (tomorrow.resource_drift[0]!.change.after as { description: string }).description = 'changed by hand';
    expect(applyIgnore(classify(tomorrow), rules).kept.map((i) => i.attributes.map((a) => a.path))).toEqual([['description']]);
  });

  it('a baseline rule of a root resource covers neither a module\'s copy nor another for_each instance', () => {
    const root = drifted('aws_instance.web', { ami: 'a' }, { ami: 'b' });
    const rules = baselineRules(root);
    expect(rules).toEqual(['aws_instance.web.ami']);
    const inModule = drifted('module.eks.aws_instance.web', { ami: 'a' }, { ami: 'b' });
    expect(applyIgnore(inModule, [], rules).kept.map((i) => i.address)).toEqual(['module.eks.aws_instance.web']);
    // The same text in the policy's own ignore list is a convenience that does cover every copy.
    expect(applyIgnore(inModule, rules).kept).toEqual([]);
    const keyed = drifted('aws_s3_bucket.logs["tags"]', { x: 1 }, { x: 2 });
    const keyedRules = baselineRules(keyed);
    expect(keyedRules).toEqual(['aws_s3_bucket.logs["tags"].x']);
    const other = drifted('aws_s3_bucket.logs["eu"]', { tags: { x: 1 } }, { tags: { x: 2 } });
    expect(applyIgnore(other, [], keyedRules).kept).toHaveLength(1);
    expect(applyIgnore(keyed, [], keyedRules).kept).toEqual([]);
  });

  it('a baseline of tag drift does not hide tomorrow\'s password change, nor another module\'s copy', () => {
    const today = drifted('module.a.aws_db_instance.main', { password: 'p', tags: { 'team/*': 'x' } }, { password: 'p', tags: { 'team/*': 'y' } }, { password: true });
    const rules = baselineRules(today);
    expect(rules).toEqual(['module.a.aws_db_instance.main.tags["team/\\*"]']);
    const keptBy = (found: ReturnType<typeof classify>) => applyIgnore(found, [], rules).kept.flatMap((i) => i.attributes.map((a) => `${i.address} ${a.path}`));
    const tomorrow = drifted('module.a.aws_db_instance.main', { password: 'p', tags: { 'team/*': 'x', 'team/x': 'a' } }, { password: 'q', tags: { 'team/*': 'y', 'team/x': 'b' } }, { password: true });
    expect(keptBy(tomorrow)).toEqual(['module.a.aws_db_instance.main password', 'module.a.aws_db_instance.main tags["team/x"]']);
    const other = drifted('module.b.aws_db_instance.main', { tags: { 'team/*': 'x' } }, { tags: { 'team/*': 'y' } });
    expect(keptBy(other)).toEqual(['module.b.aws_db_instance.main tags["team/\\*"]']);
  });
});
