import { parse as parseToml, TomlError } from 'smol-toml';
import { LineCounter, parseDocument } from 'yaml';
import { describeIssue } from '../../src/policy/types.ts';
import { locate } from '../../src/policy/locate.ts';
import { RepoMetadata, type ProcessStandard, type Tier } from './schema.ts';

export const METADATA_FILE = 'repo-metadata.yaml';
export const CHECK_TOML = 'check.toml';

/** Something wrong in a file of the scanned repository, at a 1-based line and column. */
export interface FileProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/**
 * Reads repo-metadata.yaml: YAML with positions, then the strict RepoMetadata schema. Every
 * problem comes back with its line and column; nothing throws.
 */
export function parseRepoMetadata(text: string): { metadata?: RepoMetadata; problems: FileProblem[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { problems: doc.errors.map((e) => { const at = counter.linePos(e.pos[0]); return { file: METADATA_FILE, line: at.line, col: at.col, message: e.message.split('\n')[0]! }; }) };
  }
  const parsed = RepoMetadata.safeParse(doc.toJS() ?? {}, { error: (iss) => describeIssue(iss) });
  if (parsed.success) return { metadata: parsed.data, problems: [] };
  return {
    problems: parsed.error.issues.map((iss) => {
      const unknownKey = iss.code === 'unrecognized_keys';
      const path = unknownKey ? [...iss.path, (iss as { keys: string[] }).keys[0]!] : iss.path;
      const at = locate(doc, counter, path as Array<string | number>, unknownKey ? 'key' : 'value');
      const where = path.length ? `${path.join('.')}: ` : '';
      return { file: METADATA_FILE, line: at.line, col: at.col, message: unknownKey ? `${where}unknown key (keys are tier, status, team)` : `${where}${iss.message}` };
    }),
  };
}

/** What a check.toml adds to the tier's process standard, and what it holds that DriftGuard does not check. */
export interface CheckToml {
  rulesets: string[];
  process: Partial<Pick<ProcessStandard, 'codeowners' | 'required_workflows'>> & { branch_protection?: Partial<NonNullable<ProcessStandard['branch_protection']>> };
  /** Dotted keys under [process.*] with no DriftGuard check behind them. */
  unmapped: string[];
  problems: FileProblem[];
}

const lineOf = (text: string, pattern: RegExp): { line: number; col: number } => {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => pattern.test(l));
  return i < 0 ? { line: 1, col: 1 } : { line: i + 1, col: (lines[i]!.search(/\S/) ?? 0) + 1 };
};

const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Keys of a table, dotted, down to the leaves. */
function leaves(table: Record<string, unknown>, prefix: string): string[] {
  return Object.entries(table).flatMap(([k, v]) => (isTable(v) ? leaves(v, `${prefix}.${k}`) : [`${prefix}.${k}`]));
}

/**
 * Reads check.toml (check-my-toolkit): `[extends] rulesets` must match the tier (a production
 * repository extends only `*-production` rulesets; a ruleset named for another tier is a
 * mismatch), and the `[process.*]` keys DriftGuard can check become standards:
 * `process.repo.require_branch_protection`, `process.repo.require_codeowners`,
 * `process.repo.branch_protection.{required_reviews, dismiss_stale_reviews, require_status_checks,
 * enforce_admins}`, `process.ci.require_workflows`. Every other `[process.*]` key is listed as
 * unmapped. A section with `enabled = false` adds nothing.
 */
export function parseCheckToml(text: string, tier: Tier): CheckToml {
  const out: CheckToml = { rulesets: [], process: {}, unmapped: [], problems: [] };
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as TomlError;
    out.problems.push({ file: CHECK_TOML, line: e.line ?? 1, col: e.column ?? 1, message: `not valid TOML: ${String(e.message).split('\n')[0]}` });
    return out;
  }
  const extendsTable = isTable(data.extends) ? data.extends : {};
  const rulesets = Array.isArray(extendsTable.rulesets) ? extendsTable.rulesets.filter((r): r is string => typeof r === 'string') : [];
  out.rulesets = rulesets;
  const wrong = rulesets.filter((r) => (tier === 'production' ? !r.endsWith('-production') : /-(production|internal|prototype)$/.test(r) && !r.endsWith(`-${tier}`)));
  if (wrong.length > 0) {
    const at = lineOf(text, /^\s*rulesets\s*=/);
    out.problems.push({ file: CHECK_TOML, ...at, message: `[extends] rulesets ${wrong.map((r) => JSON.stringify(r)).join(', ')} do not match tier ${tier}: expected ${tier === 'production' ? 'only rulesets named *-production' : `rulesets for ${tier} (named *-${tier}) or for no tier`}` });
  }
  const processTable = isTable(data.process) ? data.process : {};
  const mapped = new Set<string>();
  const repo = isTable(processTable.repo) ? processTable.repo : undefined;
  if (repo && repo.enabled !== false) {
    mapped.add('process.repo.enabled');
    if (repo.require_codeowners === true) out.process.codeowners = true;
    mapped.add('process.repo.require_codeowners');
    const bp = isTable(repo.branch_protection) ? repo.branch_protection : undefined;
    if (repo.require_branch_protection === true || bp) out.process.branch_protection = {};
    mapped.add('process.repo.require_branch_protection');
    if (bp) {
      const target = out.process.branch_protection!;
      if (typeof bp.required_reviews === 'number') target.required_reviews = bp.required_reviews;
      if (typeof bp.dismiss_stale_reviews === 'boolean') target.dismiss_stale_reviews = bp.dismiss_stale_reviews;
      if (typeof bp.enforce_admins === 'boolean') target.enforce_admins = bp.enforce_admins;
      if (Array.isArray(bp.require_status_checks)) target.required_status_checks = bp.require_status_checks.filter((c): c is string => typeof c === 'string');
      for (const k of ['required_reviews', 'dismiss_stale_reviews', 'enforce_admins', 'require_status_checks']) mapped.add(`process.repo.branch_protection.${k}`);
    }
  } else if (repo) {
    for (const k of leaves(repo, 'process.repo')) mapped.add(k);
  }
  const ci = isTable(processTable.ci) ? processTable.ci : undefined;
  if (ci && ci.enabled !== false) {
    mapped.add('process.ci.enabled');
    if (Array.isArray(ci.require_workflows)) {
      out.process.required_workflows = ci.require_workflows.filter((w): w is string => typeof w === 'string').map((w) => (w.includes('/') ? w : `.github/workflows/${w}`));
      mapped.add('process.ci.require_workflows');
    }
  } else if (ci) {
    for (const k of leaves(ci, 'process.ci')) mapped.add(k);
  }
  // A whole section switched off is a decision, not an unchecked standard.
  for (const [name, section] of Object.entries(processTable)) {
    if (isTable(section) && section.enabled === false) for (const k of leaves(section, `process.${name}`)) mapped.add(k);
  }
  out.unmapped = leaves(processTable, 'process').filter((k) => !mapped.has(k));
  return out;
}

/** The tier's process standard with check.toml's on top: the stricter value of each setting wins. */
export function mergeProcess(tier: ProcessStandard, extra: CheckToml['process']): ProcessStandard {
  const bpTier = tier.branch_protection;
  const bpExtra = extra.branch_protection;
  const bp = bpTier || bpExtra
    ? {
        required_reviews: Math.max(bpTier?.required_reviews ?? 0, bpExtra?.required_reviews ?? 0),
        required_status_checks: [...new Set([...(bpTier?.required_status_checks ?? []), ...(bpExtra?.required_status_checks ?? [])])],
        dismiss_stale_reviews: (bpTier?.dismiss_stale_reviews ?? false) || (bpExtra?.dismiss_stale_reviews ?? false),
        enforce_admins: (bpTier?.enforce_admins ?? false) || (bpExtra?.enforce_admins ?? false),
      }
    : undefined;
  return {
    ...(bp ? { branch_protection: bp } : {}),
    codeowners: tier.codeowners || extra.codeowners === true,
    required_workflows: [...new Set([...tier.required_workflows, ...(extra.required_workflows ?? [])])],
    required_labels: tier.required_labels,
  };
}
