import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { EVENT_NAMES } from '../src/events.ts';
import { parsePolicy } from '../src/policy/load.ts';
import { policyJsonSchema } from '../src/policy/schema.ts';
import { REGISTRY } from '../modules/registry.ts';

describe.each([...REGISTRY.values()].map((m) => [m.id, m] as const))('module %s', (id, module) => {
  it('meets the module interface', () => {
    expect(id).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(module.summary.length).toBeGreaterThan(10);
    expect(module.events.length).toBeGreaterThan(0);
    for (const event of module.events) expect(EVENT_NAMES).toContain(event);
    expect(module.config).toBeInstanceOf(z.ZodObject);
    expect(typeof module.plan).toBe('function');
    if (module.apply !== undefined) expect(typeof module.apply).toBe('function');
  });

  it('does not redefine the keys every slice shares (on_fail, timeout)', () => {
    expect(Object.keys(module.config.shape)).not.toContain('on_fail');
    expect(Object.keys(module.config.shape)).not.toContain('timeout');
  });

  it('has defaults for every key, so an empty slice is valid', async () => {
    const policy = await parsePolicy('policy.yaml', `version: 1\nworkflows:\n  ${module.events[0]}: [${id}]\n`, REGISTRY);
    expect(policy.modules[id]).toMatchObject({ on_fail: 'block', timeout: '10m' });
  });

  it('rejects an unknown key in its slice', async () => {
    await expect(parsePolicy('policy.yaml', `version: 1\nmodules:\n  ${id}:\n    no_such_key: 1\n`, REGISTRY)).rejects.toMatchObject({
      details: [expect.stringContaining(`modules.${id}.no_such_key: unknown key`)],
    });
  });
});

describe('policy.schema.json', () => {
  it('is the schema generated from the current code (run `driftguard schema > policy.schema.json`)', () => {
    const committed = JSON.parse(readFileSync('policy.schema.json', 'utf8')) as unknown;
    expect(committed).toEqual(policyJsonSchema(REGISTRY));
  });

  it('is what policy.yaml points the editor at', () => {
    expect(readFileSync('policy.yaml', 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/policy\.schema\.json$/m);
  });
});
