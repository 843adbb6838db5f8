import type { RepoRef } from '../../src/events.ts';
import type { Write } from '../../src/github/api.ts';
import { inertCode } from '../../src/report/inert.ts';
import type { OrgGitHub } from './github.ts';
import { domainLabel } from './issues.ts';
import { DOMAINS } from './schema.ts';

export const AUDIT_LABEL = 'driftguard:audit';
const MARKER = '<!-- driftguard:standards-audit -->';

export interface AuditResult {
  org: string;
  threshold: number;
  /** Open drift:* issues opened by DriftGuard, per repository, most first. */
  counts: Array<{ repository: string; open: number; byDomain: Record<string, number> }>;
  /** Repositories with more than `threshold` open drift issues. */
  over: Array<{ repository: string; open: number; byDomain: Record<string, number> }>;
  write?: Write;
  writeReason: string;
}

/**
 * Counts open `drift:process|code|infra` issues per repository of `org` with the search API
 * (`org:ORG is:issue is:open label:drift:<domain>`, paginated; an issue counts only when
 * `identity` opened it) and plans one summary issue in `home`, found by label
 * `driftguard:audit` AND author, updated in place only when its text changes.
 */
export async function planAudit(api: OrgGitHub, options: { org: string; threshold: number; identity: string; home?: RepoRef }): Promise<AuditResult> {
  const counts = new Map<string, Record<string, number>>();
  for (const domain of DOMAINS) {
    const items = await api.searchIssues(`org:${options.org} is:issue is:open label:"${domainLabel(domain)}"`);
    for (const item of items) {
      if (item.author !== options.identity || !item.labels.includes(domainLabel(domain))) continue;
      const c = counts.get(item.repository) ?? {};
      c[domain] = (c[domain] ?? 0) + 1;
      counts.set(item.repository, c);
    }
  }
  const rows = [...counts.entries()].map(([repository, byDomain]) => ({ repository, byDomain, open: Object.values(byDomain).reduce((a, b) => a + b, 0) })).sort((a, b) => b.open - a.open || a.repository.localeCompare(b.repository));
  const over = rows.filter((r) => r.open > options.threshold);
  const result: AuditResult = { org: options.org, threshold: options.threshold, counts: rows, over, writeReason: '' };
  if (!options.home) {
    result.writeReason = 'no repository runs the audit (GITHUB_REPOSITORY unset): no summary issue';
    return result;
  }
  const body = [
    MARKER,
    `Repositories of ${inertCode(options.org)} with more than ${options.threshold} open DriftGuard drift issues: **${over.length}**.`,
    '',
    ...(over.length ? ['| Repository | Open | process | code | infra |', '| --- | --- | --- | --- | --- |', ...over.map((r) => `| ${inertCode(r.repository, { table: true })} | ${r.open} | ${r.byDomain.process ?? 0} | ${r.byDomain.code ?? 0} | ${r.byDomain.infra ?? 0} |`)] : ['None.']),
    '',
    'Updated in place by `driftguard standards audit`.',
  ].join('\n');
  const base = `/repos/${options.home.owner}/${options.home.name}/issues`;
  const existing = (await api.openIssuesBy(options.home, options.identity)).find((i) => i.labels.includes(AUDIT_LABEL) && i.author === options.identity);
  if (!existing) {
    result.write = { method: 'POST', path: base, body: { title: `DriftGuard standards audit: ${options.org}`, body, labels: [AUDIT_LABEL] } };
    result.writeReason = 'open the summary issue';
  } else if (existing.body.trim() !== body.trim()) {
    result.write = { method: 'PATCH', path: `${base}/${existing.number}`, body: { body } };
    result.writeReason = `update #${existing.number} in place`;
  } else {
    result.writeReason = `#${existing.number} already says this`;
  }
  return result;
}
