import { inertCode, inertMarkdown } from '../../src/report/inert.ts';
import type { Write } from '../../src/github/api.ts';
import { findingsDigest, type StandardFinding } from './findings.ts';
import type { OrgRepo, RepoIssue } from './github.ts';
import type { Domain } from './schema.ts';

export const domainLabel = (domain: Domain) => `drift:${domain}`;
const MARKER = /<!-- driftguard:standards domain=(process|code|infra) digest=([0-9a-f]{16}) state=(open|resolved) -->/;

/** A planned GitHub write with why. */
export interface IssueOp {
  kind: 'open issue' | 'update issue' | 'comment resolved' | 'close issue';
  target: string;
  reason: string;
  writes: Write[];
}

const cell = (text: string | undefined) => (text === undefined || text === '' ? '-' : inertCode(text, { table: true, max: 200 }));

/** The issue body for a domain's findings; every repository-supplied text inert. */
export function issueBody(repo: OrgRepo, domain: Domain, findings: readonly StandardFinding[], context: { runUrl?: string; tier?: string; head: string }): string {
  const real = findings.filter((f) => !f.notice);
  const lines = [
    `<!-- driftguard:standards domain=${domain} digest=${findingsDigest(real)} state=open -->`,
    `DriftGuard standards scan: **${real.length}** ${domain} finding(s) in ${inertCode(repo.fullName)} at ${inertCode(context.head.slice(0, 12))}${context.tier ? ` (tier ${inertCode(context.tier)})` : ''}.`,
    '',
  ];
  const rows = real.filter((f) => !f.diff);
  if (rows.length) {
    lines.push('| Rule | Setting | Expected | Actual | Where | Finding |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of rows) {
      const where = f.file ? `${f.file}${f.line ? `:${f.line}${f.col ? `:${f.col}` : ''}` : ''}` : undefined;
      lines.push(`| ${f.rule} | ${cell(f.setting)} | ${cell(f.expected)} | ${cell(f.actual)} | ${cell(where)} | ${inertMarkdown(f.message, 300)} |`);
    }
    lines.push('');
  }
  for (const f of real.filter((x) => x.diff !== undefined)) {
    lines.push(`### ${inertCode(f.file ?? '?')} (${inertMarkdown(f.actual ?? 'changed', 40)})`, '', `Commit(s): ${(f.commits ?? []).map((c) => inertCode(c.slice(0, 12))).join(', ') || '-'}`, '', '<details><summary>Diff</summary>', '', inertDiffBlock(f.diff!), '', '</details>', '');
  }
  if (context.runUrl) lines.push(`Found by ${context.runUrl}.`);
  lines.push('DriftGuard updates this issue in place while findings remain and comments when they are all resolved.');
  return lines.join('\n');
}

/** A fenced diff that the text inside cannot close: the fence is longer than any backtick run in it, and hidden characters show. */
function inertDiffBlock(diff: string): string {
  const shown = diff.split('\n').map((l) => inertCodeLine(l)).join('\n');
  const longest = Math.max(2, ...(shown.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}diff\n${shown}\n${fence}`;
}

/** One diff line with hidden characters escaped (no HTML is read inside a fenced block). */
const inertCodeLine = (line: string) => line.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu, (c) => (c === '\t' ? '\t' : `\\u{${c.codePointAt(0)!.toString(16)}}`)).slice(0, 500);

/**
 * The writes that bring one repository's issue for one domain in line with this scan's
 * findings. `issues` are the repository's open issues; only one labelled `drift:<domain>`, opened
 * by `identity` and carrying the standards marker of that domain is this scan's. Pure.
 *  - findings, no issue: open one;  findings changed (or were resolved): update the body in place;
 *  - no findings, an unresolved issue: comment that all are resolved (and close when
 *    `closeResolved`); the code domain records changes, which no later scan resolves: its issue
 *    is left to the team;
 *  - nothing found, no issue: nothing.
 */
export function planIssue(repo: OrgRepo, domain: Domain, findings: readonly StandardFinding[], issues: readonly RepoIssue[], options: { identity: string; closeResolved: boolean; body: string; runUrl?: string }): IssueOp[] {
  const real = findings.filter((f) => !f.notice);
  const label = domainLabel(domain);
  // The drift module files `drift:infra` issues too: only an issue carrying this module's marker is this domain's.
  const existing = issues.find((i) => i.labels.includes(label) && i.author === options.identity && MARKER.exec(i.body)?.[1] === domain);
  const base = `/repos/${repo.owner}/${repo.name}/issues`;
  const marker = existing ? MARKER.exec(existing.body) : null;
  if (real.length > 0) {
    if (!existing) return [{ kind: 'open issue', target: `${repo.fullName} ${label}`, reason: `${real.length} ${domain} finding(s)`, writes: [{ method: 'POST', path: base, body: { title: `DriftGuard standards: ${domain} findings in ${repo.fullName}`, body: options.body, labels: [label] } }] }];
    if (marker?.[2] === findingsDigest(real) && marker[3] === 'open') return [];
    return [{ kind: 'update issue', target: `${repo.fullName}#${existing.number}`, reason: `${domain} findings changed (${real.length} now)`, writes: [{ method: 'PATCH', path: `${base}/${existing.number}`, body: { body: options.body } }] }];
  }
  if (!existing || domain === 'code' || marker?.[3] === 'resolved') return [];
  const resolvedBody = existing.body.replace(MARKER, `<!-- driftguard:standards domain=${domain} digest=${findingsDigest([])} state=resolved -->`);
  const ops: IssueOp[] = [
    {
      kind: 'comment resolved',
      target: `${repo.fullName}#${existing.number}`,
      reason: `no ${domain} finding left`,
      writes: [
        { method: 'POST', path: `${base}/${existing.number}/comments`, body: { body: `All ${domain} findings in this repository are resolved${options.runUrl ? ` (${options.runUrl})` : ''}.` } },
        { method: 'PATCH', path: `${base}/${existing.number}`, body: { body: resolvedBody } },
      ],
    },
  ];
  if (options.closeResolved) ops.push({ kind: 'close issue', target: `${repo.fullName}#${existing.number}`, reason: 'policy: issues.close_resolved', writes: [{ method: 'PATCH', path: `${base}/${existing.number}`, body: { state: 'closed', state_reason: 'completed' } }] });
  return ops;
}
