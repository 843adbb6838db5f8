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

  it('redacts sensitive values before anything leaves the process', () => {
    const db = classify(PLAN)[1]!;
    expect(db.attributes).toEqual([{ path: 'allocated_storage', before: 20, after: 50 }]);
    expect(JSON.stringify(classify(PLAN))).not.toContain('db-password');
    const onlySecret = structuredClone(PLAN);
    onlySecret.resource_drift[1]!.change.after = { identifier: 'main', password: 'rotated-000', allocated_storage: 20 } as never;
    expect(JSON.stringify(classify(onlySecret))).not.toContain('rotated-000');
    expect(SENSITIVE).toBe('(sensitive)');
  });

  it('refuses what is not plan JSON', () => {
    expect(() => classify({ resource_drift: [] })).toThrow(/no format_version/);
    expect(() => classify('nope')).toThrow(/not an object/);
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

  it('a baseline made from today\'s drift ignores exactly today\'s drift', () => {
    const rules = baselineRules(items);
    expect(rules).toEqual(['aws_db_instance.main.allocated_storage', 'aws_security_group.web.ingress', 'aws_security_group.web.tags.Owner', 'aws_subnet.private']);
    expect(applyIgnore(items, rules).kept).toEqual([]);
    const tomorrow = structuredClone(PLAN);
    (tomorrow.resource_drift[0]!.change.after as { description: string }).description = 'changed by hand';
    expect(applyIgnore(classify(tomorrow), rules).kept.map((i) => i.attributes.map((a) => a.path))).toEqual([['description']]);
  });
});
