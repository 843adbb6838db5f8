/** One drifted resource, read from `terraform show -json` of a refresh-only plan. */
export interface DriftItem {
  address: string;
  type: string;
  name: string;
  kind: 'changed' | 'deleted';
  /** Attributes whose value changed outside Terraform (sensitive ones are named, never shown). */
  attributes: Array<{ path: string; before: unknown; after: unknown }>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const SENSITIVE = '(sensitive)';

/** Replaces every value marked sensitive (the plan's *_sensitive trees) before anything leaves the process. */
export function redactSensitive(value: Json, sensitive: Json): Json {
  if (sensitive === true) return SENSITIVE;
  if (Array.isArray(value) && Array.isArray(sensitive)) return value.map((v, i) => redactSensitive(v, sensitive[i] ?? false));
  if (isObj(value) && isObj(sensitive)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSensitive(v, sensitive[k] ?? false)]));
  return value;
}

function diffAttributes(before: Json, after: Json, prefix = ''): Array<{ path: string; before: unknown; after: unknown }> {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObj(before) && isObj(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].sort().flatMap((k) => diffAttributes(before[k] ?? null, after[k] ?? null, prefix ? `${prefix}.${k}` : k));
  }
  return [{ path: prefix || '(value)', before, after }];
}

/**
 * Classifies drift from the plan JSON's `resource_drift` (not from the exit code alone): a
 * resource updated outside Terraform is `changed`, one gone is `deleted`.
 */
export function classify(plan: unknown): DriftItem[] {
  if (!isObj(plan)) throw new Error('the plan JSON is not an object');
  if (typeof plan.format_version !== 'string') throw new Error('the plan JSON has no format_version: not `terraform show -json` output');
  const drift = Array.isArray(plan.resource_drift) ? plan.resource_drift : [];
  const items: DriftItem[] = [];
  for (const entry of drift) {
    if (!isObj(entry) || !isObj(entry.change) || typeof entry.address !== 'string') continue;
    if (entry.mode === 'data') continue;
    const actions = Array.isArray(entry.change.actions) ? entry.change.actions : [];
    const kind = actions.includes('delete') ? 'deleted' : actions.includes('update') ? 'changed' : undefined;
    if (!kind) continue;
    const before = redactSensitive(entry.change.before ?? null, entry.change.before_sensitive ?? false);
    const after = redactSensitive(entry.change.after ?? null, entry.change.after_sensitive ?? false);
    items.push({ address: entry.address, type: String(entry.type ?? ''), name: String(entry.name ?? ''), kind, attributes: kind === 'deleted' ? [] : diffAttributes(before, after) });
  }
  return items;
}
