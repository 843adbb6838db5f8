import picomatch from 'picomatch';
import type { StandardFinding } from './findings.ts';
import type { OrgGitHub, OrgRepo } from './github.ts';

/** Lines and characters of a diff kept in a finding; the rest is cut and said so. */
export const DIFF_MAX_LINES = 60;
export const DIFF_MAX_CHARS = 4000;

export function truncateDiff(patch: string): string {
  const lines = patch.split('\n');
  let text = lines.slice(0, DIFF_MAX_LINES).join('\n');
  if (text.length > DIFF_MAX_CHARS) text = text.slice(0, DIFF_MAX_CHARS);
  return text.length < patch.length ? `${text}\n… (${lines.length} lines in all; cut)` : text;
}

/**
 * Files matching the tier's `code.files` globs changed on the default branch from `base` to
 * `head`: one finding per file with its (cut) diff and the commits of the range that touched it.
 * A base GitHub no longer knows (history rewritten) is a finding of its own.
 */
export async function codeChanges(api: OrgGitHub, repo: OrgRepo, base: string, head: string, globs: readonly string[]): Promise<StandardFinding[]> {
  if (globs.length === 0 || base === head) return [];
  const compared = await api.compare(repo, base, head);
  if (!compared) {
    return [{ domain: 'code', rule: 'code.history-rewritten', setting: 'last scanned commit', expected: `${base.slice(0, 12)} in the history of ${repo.defaultBranch}`, actual: 'not found', message: `the commit the last scan recorded is no longer in ${repo.defaultBranch} (force push?); changes since cannot be listed` }];
  }
  const match = picomatch(globs as string[], { dot: true });
  const inRange = new Set(compared.commits.map((c) => c.sha));
  const findings: StandardFinding[] = [];
  for (const file of compared.files) {
    if (!match(file.filename)) continue;
    const touching = (await api.commitsTouching(repo, head, file.filename)).filter((sha) => inRange.has(sha));
    findings.push({
      domain: 'code',
      rule: 'code.standard-file-changed',
      file: file.filename,
      setting: 'standard file',
      expected: `unchanged since ${base.slice(0, 12)}`,
      actual: file.status,
      message: `${file.filename} ${file.status} on ${repo.defaultBranch}`,
      diff: truncateDiff(file.patch ?? '(no diff from GitHub: binary or too large)'),
      commits: touching.length ? touching : [...inRange].slice(-1),
    });
  }
  return findings;
}
