import { parseDuration, formatDuration } from '../../src/duration.ts';
import { durationMs } from '../../src/policy/types.ts';
import type { JanitorConfig } from './schema.ts';
import type { Resource } from './types.ts';

export type Eligibility =
  | { eligible: true; expiresAt: Date; reason: string }
  | { eligible: false; expiresAt?: Date; reason: string; doubt: boolean };

const MARKERS = ['dg-expires-at', 'dg-ttl', 'dg-created-at', 'dg-env', 'dg-protected'] as const;

/** Reads a marker by key, case-insensitively; two spellings with different values make it ambiguous. */
function marker(tags: Record<string, string>, key: (typeof MARKERS)[number]): { value?: string; ambiguous?: true } {
  const values = Object.entries(tags).filter(([k]) => k.trim().toLowerCase() === key).map(([, v]) => v);
  if (values.length > 1 && new Set(values).size > 1) return { ambiguous: true };
  return { value: values[0] };
}

/** Epoch seconds, or RFC 3339; undefined when malformed. */
export function parseInstant(text: string): Date | undefined {
  const trimmed = text.trim();
  if (/^\d{9,11}$/.test(trimmed)) return new Date(Number(trimmed) * 1000);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) {
    const ms = Date.parse(trimmed);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}

export function isProtected(tags: Record<string, string>, protectedTags: Record<string, string>): string | undefined {
  for (const [key, value] of Object.entries(tags)) {
    // Keys and values are trimmed and compared case-insensitively: a near-miss spelling protects.
    const k = key.trim().toLowerCase();
    if (k === 'dg-protected' && value.trim().toLowerCase() === 'true') return `${key}=${value}`;
    for (const [pk, pv] of Object.entries(protectedTags)) {
      if (k === pk.trim().toLowerCase() && value.trim().toLowerCase() === pv.trim().toLowerCase()) return `${key}=${value}`;
    }
  }
  return undefined;
}

export interface EligibilityPolicy {
  prefix: string;
  ttl: string;
  max_ttl: string;
  protected_tags: Record<string, string>;
  /** Accounts, subscriptions and projects the policy allows, per provider. */
  allowed: Record<string, readonly string[]>;
}

export function eligibilityPolicy(config: JanitorConfig): EligibilityPolicy {
  return {
    prefix: config.prefix,
    ttl: config.ttl,
    max_ttl: config.max_ttl,
    protected_tags: config.protected_tags,
    allowed: {
      aws: config.providers.aws?.accounts ?? [],
      azure: config.providers.azure?.subscriptions ?? [],
      gcp: config.providers.gcp?.projects ?? [],
    },
  };
}

const skip = (reason: string, doubt: boolean, expiresAt?: Date): Eligibility => ({ eligible: false, reason, doubt, ...(expiresAt ? { expiresAt } : {}) });

/**
 * Whether a resource may be deleted now: a pure function of the resource, the policy and the clock.
 * Every condition must be proven; anything that cannot be is a skip with its reason.
 */
export function eligibility(resource: Resource, policy: EligibilityPolicy, now: Date): Eligibility {
  if (!resource.name.startsWith(policy.prefix)) return skip(`name does not start with "${policy.prefix}"`, false);
  if (!(policy.allowed[resource.provider] ?? []).includes(resource.account)) return skip(`${resource.account} is not on the policy's ${resource.provider} allowlist`, false);
  if (resource.tags === undefined) return skip(`tags unreadable: ${resource.tagsError ?? 'unknown error'}`, true);
  const tags = resource.tags;
  const guard = isProtected(tags, policy.protected_tags);
  if (guard) return skip(`protected by tag ${guard}`, false);
  for (const key of MARKERS) if (marker(tags, key).ambiguous) return skip(`ambiguous ${key}: set more than once with different values`, true);

  const maxTtl = durationMs(policy.max_ttl);
  const createdMarker = marker(tags, 'dg-created-at').value;
  const markerCreated = createdMarker !== undefined ? parseInstant(createdMarker) : undefined;
  if (createdMarker !== undefined && !markerCreated) return skip(`malformed dg-created-at "${createdMarker}"`, true);
  // With two creation times, the later one: it makes the resource younger, never older than proven.
  const created = resource.createdAt && markerCreated ? (resource.createdAt > markerCreated ? resource.createdAt : markerCreated) : (resource.createdAt ?? markerCreated);
  // With both, the reason names the one used and why the other was not.
  let createdText = created?.toISOString() ?? '';
  let createdNote = '';
  const providerTime = resource.createdFrom ?? "the provider's creation time";
  if (resource.createdAt && markerCreated && resource.createdAt.getTime() !== markerCreated.getTime()) {
    if (resource.createdAt > markerCreated) {
      createdText += `, ${providerTime},`;
      createdNote = `; dg-created-at ${markerCreated.toISOString()} not used: ${providerTime} is later`;
    } else {
      createdText += ', the dg-created-at marker,';
      createdNote = `; ${providerTime} ${resource.createdAt.toISOString()} is earlier`;
    }
  } else if (resource.createdAt && resource.createdFrom && created === resource.createdAt) {
    createdText += `, ${resource.createdFrom},`;
  }

  let expiresAt: Date;
  let why: string;
  const expiresMarker = marker(tags, 'dg-expires-at').value;
  if (expiresMarker !== undefined) {
    const at = parseInstant(expiresMarker);
    if (!at) return skip(`malformed dg-expires-at "${expiresMarker}"`, true);
    expiresAt = at;
    why = `dg-expires-at ${at.toISOString()}`;
    if (created && at.getTime() > created.getTime() + maxTtl) {
      expiresAt = new Date(created.getTime() + maxTtl);
      why = `dg-expires-at capped at max_ttl ${policy.max_ttl} after creation`;
    }
  } else {
    if (!created || Number.isNaN(created.getTime())) return skip('unknown age: no creation time and no dg-expires-at', true);
    const ttlMarker = marker(tags, 'dg-ttl').value;
    let ttl = durationMs(policy.ttl);
    let source = `ttl ${policy.ttl}`;
    if (ttlMarker !== undefined) {
      const parsed = parseDuration(ttlMarker);
      if (parsed === undefined) return skip(`malformed dg-ttl "${ttlMarker}"`, true);
      ttl = Math.min(parsed, maxTtl);
      source = parsed > maxTtl ? `dg-ttl ${ttlMarker} capped at max_ttl ${policy.max_ttl}` : `dg-ttl ${ttlMarker}`;
    }
    ttl = Math.min(ttl, maxTtl);
    expiresAt = new Date(created.getTime() + ttl);
    why = `created ${createdText} + ${source}${createdNote}`;
  }
  if (expiresAt.getTime() > now.getTime()) {
    return skip(`not expired: expires in ${formatDuration(expiresAt.getTime() - now.getTime())} (${why})`, false, expiresAt);
  }
  return { eligible: true, expiresAt, reason: `expired ${formatDuration(now.getTime() - expiresAt.getTime())} ago (${why})` };
}

export interface Planned {
  resource: Resource;
  decision: Eligibility;
}

/** selectExpired(resources, policy, now): every resource with its decision. */
export function selectExpired(resources: readonly Resource[], policy: EligibilityPolicy, now: Date): Planned[] {
  return resources.map((resource) => ({ resource, decision: eligibility(resource, policy, now) }));
}

export function envOf(resource: Resource): string | undefined {
  if (!resource.tags) return undefined;
  const value = marker(resource.tags, 'dg-env').value?.trim();
  return value && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(value) ? value : undefined;
}
