import * as z from 'zod';
import { formatPath, type PathSegment } from './path.ts';

/** One attribute that changed outside Terraform: its path, and its values with sensitive ones replaced. */
export interface DriftAttribute {
  /** Terraform-style display path: `tags["kubernetes.io/role/internal-elb"]`, `root_block_device.volume_size`. */
  path: string;
  segments: PathSegment[];
  before: unknown;
  after: unknown;
  /** True when Terraform marks the value sensitive: both values are `(sensitive)`. */
  sensitive?: boolean;
}

/** One drifted resource, read from `terraform show -json` of a refresh-only plan. */
export interface DriftItem {
  address: string;
  type: string;
  name: string;
  kind: 'changed' | 'deleted';
  /** Attributes whose value changed outside Terraform (sensitive ones are named, never shown). */
  attributes: DriftAttribute[];
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

const isEmpty = (v: Json): boolean => v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
const child = (tree: Json | undefined, key: string): Json => (isObj(tree) ? (tree[key] ?? false) : false);

/**
 * The attributes that differ between `before` and `after`, compared on the real values (so a
 * changed secret is found) and reported with sensitive values replaced. A value under a sensitive
 * mark is reported at the mark's path, whole: neither its value nor its inner keys leave. Objects
 * are compared key by key; lists and sets as a whole (set order is not stable).
 */
function diffAttributes(before: Json, after: Json, beforeSensitive: Json, afterSensitive: Json, segments: PathSegment[] = []): DriftAttribute[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  // Providers read an unset map or list back as empty (tags: null -> {}): no value changed.
  if (isEmpty(before) && isEmpty(after)) return [];
  const at = (extra: Partial<DriftAttribute>): DriftAttribute => ({ path: formatPath(segments), segments, before: null, after: null, ...extra });
  if (beforeSensitive === true || afterSensitive === true) return [at({ before: SENSITIVE, after: SENSITIVE, sensitive: true })];
  if (isObj(before) && isObj(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .sort()
      .flatMap((k) => diffAttributes(before[k] ?? null, after[k] ?? null, child(beforeSensitive, k), child(afterSensitive, k), [...segments, k]));
  }
  return [at({ before: redactSensitive(before, beforeSensitive), after: redactSensitive(after, afterSensitive) })];
}

/** "major.minor" within the range terraform-json reads: >= 0.1, < 2.0. */
const FormatVersion = z.string().refine(
  (v) => {
    const m = /^(\d+)\.(\d+)$/.exec(v);
    if (!m) return false;
    const major = Number(m[1]);
    return (major === 0 && Number(m[2]) >= 1) || major === 1;
  },
  { error: (issue) => `format_version ${JSON.stringify(issue.input)} is not supported (expected >= 0.1 and < 2.0)` },
);

const ResourceChange = z.looseObject({
  address: z.string().min(1),
  mode: z.enum(['managed', 'data']).optional(),
  type: z.string(),
  name: z.string(),
  change: z.looseObject({
    actions: z.array(z.string()).min(1),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    before_sensitive: z.unknown().optional(),
    after_sensitive: z.unknown().optional(),
  }),
});

/** What DriftGuard reads of `terraform show -json <planfile>` (the JSON plan representation). */
export const PlanJson = z.looseObject({
  format_version: FormatVersion,
  terraform_version: z.string().optional(),
  planned_values: z.looseObject({}),
  resource_drift: z.array(ResourceChange).optional(),
  resource_changes: z.array(ResourceChange).optional(),
  errored: z.boolean().optional(),
});
export type PlanJson = z.infer<typeof PlanJson>;

/**
 * Checks that a document is the JSON of a Terraform plan that DriftGuard can read, and says why
 * not: another format version, a state in place of a plan, a field of the wrong shape, a plan
 * Terraform marked as errored. Throws `Error` with every problem, each with its JSON path.
 */
export function readPlanJson(plan: unknown): PlanJson {
  if (!isObj(plan)) throw new Error('the plan JSON is not an object');
  if (plan.format_version === undefined) throw new Error('the plan JSON has no format_version: not `terraform show -json` output');
  if (plan.planned_values === undefined && (plan.values !== undefined || plan.resources !== undefined || plan.lineage !== undefined || Object.keys(plan).length <= 2)) {
    throw new Error('this is a Terraform state, not a plan: run `terraform show -json` on the plan file written by `terraform plan -refresh-only -out=FILE`');
  }
  const parsed = PlanJson.safeParse(plan);
  if (!parsed.success) {
    throw new Error(`not a plan DriftGuard can read: ${parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(document)'}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.errored) throw new Error('Terraform marked this plan as errored: the refresh did not complete');
  return parsed.data;
}

/**
 * Classifies drift from the plan JSON's `resource_drift` (not from the exit code alone): a
 * resource updated outside Terraform is `changed`, one gone is `deleted`. The document is checked
 * first (`readPlanJson`): anything that is not a readable plan throws, so it can never read as clean.
 */
export function classify(document: unknown): DriftItem[] {
  const plan = readPlanJson(document);
  const items: DriftItem[] = [];
  for (const entry of plan.resource_drift ?? []) {
    if (entry.mode === 'data') continue;
    const actions = entry.change.actions;
    const kind = actions.includes('delete') ? 'deleted' : actions.includes('update') ? 'changed' : undefined;
    if (!kind) continue;
    const c = entry.change as { before?: Json; after?: Json; before_sensitive?: Json; after_sensitive?: Json };
    const attributes = kind === 'deleted' ? [] : diffAttributes(c.before ?? null, c.after ?? null, c.before_sensitive ?? false, c.after_sensitive ?? false);
    // An update in which no value changed (only unset maps read back as empty) is no drift.
    if (kind === 'changed' && attributes.length === 0) continue;
    items.push({ address: entry.address, type: entry.type, name: entry.name, kind, attributes });
  }
  return items;
}
