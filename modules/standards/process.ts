import type { StandardFinding } from './findings.ts';
import type { OrgGitHub, OrgRepo, ProtectionSettings } from './github.ts';
import type { ProcessStandard } from './schema.ts';

export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

/** What GitHub answers about a repository's process settings. */
export interface ProcessActual {
  /** Classic protection and rulesets merged (strictest wins); undefined when neither protects the branch. */
  protection?: ProtectionSettings;
  protectionSource: 'classic' | 'rulesets' | 'classic and rulesets' | 'none';
  codeownersPath?: string;
  codeownersErrors: Array<{ line: number; column: number; kind: string; message: string }>;
  workflows: Record<string, boolean>;
  labels: string[];
}

function mergeProtection(a: ProtectionSettings | undefined, b: ProtectionSettings | undefined): ProtectionSettings | undefined {
  if (!a || !b) return a ?? b;
  return {
    requiredReviews: Math.max(a.requiredReviews, b.requiredReviews),
    dismissStaleReviews: a.dismissStaleReviews || b.dismissStaleReviews,
    enforceAdmins: a.enforceAdmins || b.enforceAdmins,
    statusChecks: [...new Set([...a.statusChecks, ...b.statusChecks])],
  };
}

/** Reads what `compareProcess` needs, asking GitHub only for what the standard checks. */
export async function readProcess(api: OrgGitHub, repo: OrgRepo, head: string, expected: ProcessStandard): Promise<ProcessActual> {
  const actual: ProcessActual = { protectionSource: 'none', codeownersErrors: [], workflows: {}, labels: [] };
  if (expected.branch_protection) {
    const [classic, rules] = await Promise.all([api.classicProtection(repo), api.rulesetProtection(repo)]);
    actual.protection = mergeProtection(classic, rules);
    actual.protectionSource = classic && rules ? 'classic and rulesets' : classic ? 'classic' : rules ? 'rulesets' : 'none';
  }
  if (expected.codeowners) {
    for (const path of CODEOWNERS_PATHS) {
      if ((await api.file(repo, path, head)) !== undefined) {
        actual.codeownersPath = path;
        break;
      }
    }
    if (actual.codeownersPath) actual.codeownersErrors = (await api.codeownersErrors(repo)) ?? [];
  }
  for (const path of expected.required_workflows) actual.workflows[path] = (await api.file(repo, path, head)) !== undefined;
  if (expected.required_labels.length > 0) actual.labels = await api.labels(repo);
  return actual;
}

const yes = (b: boolean) => (b ? 'on' : 'off');

/**
 * Expected against actual, one finding per setting that falls short, each naming the setting,
 * the expected and the actual value. Pure.
 */
export function compareProcess(expected: ProcessStandard, actual: ProcessActual, branch: string): StandardFinding[] {
  const findings: StandardFinding[] = [];
  const bp = expected.branch_protection;
  const where = `default branch ${branch}`;
  if (bp) {
    const p = actual.protection;
    if (!p) {
      findings.push({ domain: 'process', rule: 'process.branch-protection', setting: 'branch protection', expected: 'on', actual: 'off (no classic protection, no ruleset)', message: `the ${where} is not protected` });
    } else {
      if (p.requiredReviews < bp.required_reviews) findings.push({ domain: 'process', rule: 'process.required-reviews', setting: 'required approving reviews', expected: `>= ${bp.required_reviews}`, actual: String(p.requiredReviews), message: `the ${where} needs fewer approving reviews than the standard` });
      const missing = bp.required_status_checks.filter((c) => !p.statusChecks.includes(c));
      if (missing.length) findings.push({ domain: 'process', rule: 'process.status-checks', setting: 'required status checks', expected: bp.required_status_checks.join(', '), actual: p.statusChecks.join(', ') || '(none)', message: `status checks not required on the ${where}: ${missing.join(', ')}` });
      if (bp.dismiss_stale_reviews && !p.dismissStaleReviews) findings.push({ domain: 'process', rule: 'process.dismiss-stale-reviews', setting: 'dismiss stale reviews', expected: 'on', actual: yes(p.dismissStaleReviews), message: `approvals on the ${where} survive new commits` });
      if (bp.enforce_admins && !p.enforceAdmins) findings.push({ domain: 'process', rule: 'process.enforce-admins', setting: 'include administrators', expected: 'on', actual: yes(p.enforceAdmins), message: `administrators bypass the protection of the ${where}` });
    }
  }
  if (expected.codeowners) {
    if (!actual.codeownersPath) {
      findings.push({ domain: 'process', rule: 'process.codeowners-missing', setting: 'CODEOWNERS', expected: 'present', actual: 'absent', message: `no CODEOWNERS file (looked in ${CODEOWNERS_PATHS.join(', ')})` });
    } else {
      for (const e of actual.codeownersErrors) {
        findings.push({ domain: 'process', rule: 'process.codeowners-error', setting: 'CODEOWNERS', file: actual.codeownersPath, line: e.line, col: e.column, expected: 'valid', actual: e.kind, message: e.message.split('\n')[0]! });
      }
    }
  }
  for (const [path, present] of Object.entries(actual.workflows)) {
    if (!present) findings.push({ domain: 'process', rule: 'process.workflow-missing', setting: 'required workflow', file: path, expected: 'present', actual: 'absent', message: `required workflow ${path} does not exist on the ${where}` });
  }
  const have = new Set(actual.labels.map((l) => l.toLowerCase()));
  for (const label of expected.required_labels) {
    if (!have.has(label.toLowerCase())) findings.push({ domain: 'process', rule: 'process.label-missing', setting: 'required label', expected: label, actual: 'absent', message: `label ${label} does not exist` });
  }
  return findings;
}
