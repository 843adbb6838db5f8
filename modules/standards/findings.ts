import { createHash } from 'node:crypto';
import type { Domain } from './schema.ts';

/**
 * One deviation from a standard in one repository. `setting`, `expected` and `actual` name what
 * was compared; `file`, `line`, `col` where it sits in the repository; `diff` and `commits` for
 * changed standard files. All text may come from the repository: render it inert.
 */
export interface StandardFinding {
  domain: Domain;
  rule: string;
  message: string;
  setting?: string;
  expected?: string;
  actual?: string;
  file?: string;
  line?: number;
  col?: number;
  diff?: string;
  commits?: string[];
  /** A notice (unmapped check.toml keys, a first scan): shown, never an issue of its own. */
  notice?: boolean;
}

/** A stable digest of a domain's findings: the issue body changes only when this does. */
export function findingsDigest(findings: readonly StandardFinding[]): string {
  const keys = findings
    .filter((f) => !f.notice)
    .map((f) => JSON.stringify([f.rule, f.setting, f.expected, f.actual, f.file, f.line, f.col, f.message, f.diff, f.commits]))
    .sort();
  return createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 16);
}
