import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eligibility, isProtected, parseInstant, selectExpired, type EligibilityPolicy } from '../../modules/janitor/select-expired.ts';
import type { Resource } from '../../modules/janitor/types.ts';

const POLICY: EligibilityPolicy = {
  prefix: 'dg-',
  ttl: '24h',
  max_ttl: '7d',
  protected_tags: { Environment: 'Production', Protected: 'true' },
  allowed: { aws: ['111111111111'], azure: ['sub-a'], gcp: ['proj-a'] },
};
const NOW = new Date('2026-11-25T12:00:00Z');
const base = (over: Partial<Resource> = {}): Resource => ({ provider: 'aws', type: 's3_bucket', id: 'x', name: 'dg-x', account: '111111111111', region: 'eu-west-1', createdAt: new Date('2026-11-20T00:00:00Z'), tags: {}, ...over });

describe('eligibility (pure, clock passed in)', () => {
  it.each([
    ['DG-x', 'upper-case prefix'],
    ['dg_x', 'underscore'],
    ['xdg-x', 'prefix not at the start'],
    ['ԁg-x', 'Cyrillic look-alike'],
    ['ｄｇ-x', 'full-width look-alike'],
    ['dg‐x', 'Unicode hyphen'],
    ['', 'empty'],
    [' dg-x', 'leading space'],
  ])('refuses %s (%s)', (name) => {
    expect(eligibility(base({ name, tags: { 'dg-expires-at': '1700000000' } }), POLICY, NOW)).toMatchObject({ eligible: false, reason: 'name does not start with "dg-"' });
  });

  it('accepts a very long name that has the prefix', () => {
    expect(eligibility(base({ name: `dg-${'a'.repeat(5000)}` }), POLICY, NOW).eligible).toBe(true);
  });

  it.each([
    [{ environment: 'production' }],
    [{ ENVIRONMENT: ' Production ' }],
    [{ protected: 'TRUE' }],
    [{ 'dg-protected': 'true' }],
    [{ 'DG-PROTECTED': 'True' }],
  ])('protected tags are compared case-insensitively: %o', (tags) => {
    expect(eligibility(base({ tags: { ...tags, 'dg-expires-at': '1700000000' } }), POLICY, NOW)).toMatchObject({ eligible: false, reason: expect.stringMatching(/^protected by tag/) });
  });

  it('dg-expires-at wins (epoch seconds or RFC 3339), capped at max_ttl after creation', () => {
    expect(eligibility(base({ tags: { 'dg-expires-at': '2026-11-25T11:00:00Z' } }), POLICY, NOW)).toMatchObject({ eligible: true });
    expect(eligibility(base({ tags: { 'dg-expires-at': String(Date.parse('2026-11-26T00:00:00Z') / 1000) } }), POLICY, NOW)).toMatchObject({ eligible: false, doubt: false });
    const farFuture = eligibility(base({ createdAt: new Date('2026-11-10T00:00:00Z'), tags: { 'dg-expires-at': '2099-01-01T00:00:00Z' } }), POLICY, NOW);
    expect(farFuture).toMatchObject({ eligible: true, reason: expect.stringContaining('capped at max_ttl 7d') });
  });

  it('dg-ttl is capped at max_ttl; the policy ttl applies otherwise', () => {
    const created = new Date('2026-11-24T00:00:00Z');
    expect(eligibility(base({ createdAt: created, tags: { 'dg-ttl': '12h' } }), POLICY, NOW).eligible).toBe(true);
    expect(eligibility(base({ createdAt: created, tags: {} }), POLICY, NOW).eligible).toBe(true);
    expect(eligibility(base({ createdAt: created, tags: { 'dg-ttl': '48h' } }), POLICY, NOW).eligible).toBe(false);
    expect(eligibility(base({ createdAt: new Date('2026-11-10T00:00:00Z'), tags: { 'dg-ttl': '999d' } }), POLICY, NOW)).toMatchObject({ eligible: true, reason: expect.stringContaining('dg-ttl 999d capped at max_ttl 7d') });
  });

  it.each([
    [{ tags: undefined, tagsError: 'AccessDenied' }, /^tags unreadable: AccessDenied/],
    [{ createdAt: undefined, tags: {} }, /^unknown age/],
    [{ tags: { 'dg-expires-at': 'tomorrow' } }, /^malformed dg-expires-at/],
    [{ tags: { 'dg-ttl': '1 day' } }, /^malformed dg-ttl/],
    [{ createdAt: undefined, tags: { 'dg-created-at': 'yesterday' } }, /^malformed dg-created-at/],
    [{ tags: { 'dg-ttl': '1h', 'DG-TTL': '9d' } }, /^ambiguous dg-ttl/],
    [{ account: '222222222222' }, /not on the policy's aws allowlist/],
  ])('skips what it cannot prove, and says why: %o', (over, reason) => {
    expect(eligibility(base(over as Partial<Resource>), POLICY, NOW)).toMatchObject({ eligible: false, reason: expect.stringMatching(reason) });
  });

  it('takes the later of two creation times (provider and marker)', () => {
    const r = base({ createdAt: new Date('2026-11-01T00:00:00Z'), tags: { 'dg-created-at': '2026-11-25T00:00:00Z' } });
    expect(eligibility(r, POLICY, NOW).eligible).toBe(false);
  });

  it('says which creation time it used, and why the other was not', () => {
    // The provider's creation time is later: the dg-created-at marker is not used, and the reason says so.
    const provider = base({ createdAt: new Date('2026-11-25T00:00:00Z'), tags: { 'dg-created-at': '2026-11-01T00:00:00Z' } });
    expect(eligibility(provider, POLICY, NOW)).toMatchObject({
      eligible: false,
      reason: 'not expired: expires in 12h (created 2026-11-25T00:00:00.000Z, the provider\'s creation time, + ttl 24h; dg-created-at 2026-11-01T00:00:00.000Z not used: the provider\'s creation time is later)',
    });
    const marker = base({ createdAt: new Date('2026-11-01T00:00:00Z'), tags: { 'dg-created-at': '2026-11-25T00:00:00Z' } });
    expect(eligibility(marker, POLICY, NOW).reason).toBe('not expired: expires in 12h (created 2026-11-25T00:00:00.000Z, the dg-created-at marker, + ttl 24h; the provider\'s creation time 2026-11-01T00:00:00.000Z is earlier)');
    expect(eligibility(base({ tags: {} }), POLICY, NOW).reason).toBe('expired 4d12h ago (created 2026-11-20T00:00:00.000Z + ttl 24h)');
  });

  it('parses instants strictly', () => {
    expect(parseInstant('1700000000')?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(parseInstant('2026-01-01T00:00:00+02:00')?.toISOString()).toBe('2025-12-31T22:00:00.000Z');
    for (const bad of ['', '17', '2026-01-01', 'next week', '2026-13-45T99:99:99Z', '1e12']) expect(parseInstant(bad)).toBeUndefined();
  });

  it('isProtected ignores keys that only resemble a protected one', () => {
    expect(isProtected({ 'Environment-x': 'Production', Protected: 'yes' }, POLICY.protected_tags)).toBeUndefined();
  });
});

/** Adversarial inventories: names and tags from spellings that look right but are not. */
const nameArb = fc.oneof(
  fc.constantFrom('dg-', 'DG-', 'Dg-', 'dg_', 'xdg-', 'ԁg-', 'ｄｇ-', 'dg‐', 'dg', '', ' dg-').chain((p) => fc.string({ maxLength: 12 }).map((s) => p + s)),
  fc.string({ maxLength: 300 }),
);
const keyArb = fc.constantFrom('dg-expires-at', 'DG-EXPIRES-AT', 'dg-ttl', 'dg-created-at', 'dg-protected', 'Dg-Protected', 'Environment', 'environment', 'Protected', 'protected ', 'dg-env', 'owner');
const valueArb = fc.oneof(
  fc.constantFrom('true', 'TRUE', 'True ', 'false', 'Production', 'production', 'prod', '1h', '7d', '999d', '0h', '-1h', 'NaN', ''),
  fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }).map(String),
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.string({ maxLength: 20 }),
);
const resourceArb = fc.record({
  name: nameArb,
  account: fc.constantFrom('111111111111', '222222222222'),
  createdAt: fc.option(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), { nil: undefined }),
  tags: fc.option(fc.dictionary(keyArb, valueArb, { maxKeys: 6 }), { nil: undefined }),
});

describe('property: the deleted set is always inside the eligible set', () => {
  it('every resource marked for deletion satisfies every rule, checked independently', () => {
    fc.assert(
      fc.property(fc.array(resourceArb, { maxLength: 40 }), fc.date({ min: new Date('2024-01-01'), max: new Date('2028-01-01'), noInvalidDate: true }), (inventory, now) => {
        const resources: Resource[] = inventory.map((r, i) => ({ provider: 'aws', type: 's3_bucket', id: `r${i}`, region: 'eu-west-1', name: r.name, account: r.account, ...(r.createdAt ? { createdAt: r.createdAt } : {}), ...(r.tags ? { tags: r.tags } : { tagsError: 'AccessDenied' }) }));
        for (const { resource, decision } of selectExpired(resources, POLICY, now)) {
          if (!decision.eligible) continue;
          // Independent restatement of the rules.
          expect(resource.name.slice(0, 3)).toBe('dg-');
          expect(resource.account).toBe('111111111111');
          expect(resource.tags).toBeDefined();
          const lower = Object.entries(resource.tags!).map(([k, v]) => [k.trim().toLowerCase(), v.trim().toLowerCase()]);
          expect(lower.some(([k, v]) => (k === 'environment' && v === 'production') || (k === 'protected' && v === 'true') || (k === 'dg-protected' && v === 'true'))).toBe(false);
          expect(decision.expiresAt.getTime()).toBeLessThanOrEqual(now.getTime());
          const hasExpiry = lower.some(([k]) => k === 'dg-expires-at');
          const hasCreated = resource.createdAt !== undefined || lower.some(([k]) => k === 'dg-created-at');
          expect(hasExpiry || hasCreated).toBe(true);
        }
      }),
      { numRuns: 400, seed: 20261125 },
    );
  });

  it('adding a protected tag never makes a resource eligible, and always makes it ineligible', () => {
    fc.assert(
      fc.property(resourceArb, fc.constantFrom<Record<string, string>>({ Protected: 'true' }, { environment: 'PRODUCTION' }, { 'dg-protected': 'True' }), (r, guard) => {
        const resource: Resource = { provider: 'aws', type: 's3_bucket', id: 'r', region: 'x', name: r.name, account: r.account, ...(r.createdAt ? { createdAt: r.createdAt } : {}), tags: { ...(r.tags ?? {}), ...guard } };
        expect(eligibility(resource, POLICY, NOW).eligible).toBe(false);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
