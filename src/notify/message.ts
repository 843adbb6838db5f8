import type { RunResult } from '../engine.ts';
import type { NotifyEvent } from './settings.ts';

/** One notification, before it is formatted for a chat: every string in it may hold hostile text. */
export interface Message {
  event: NotifyEvent;
  title: string;
  summary: string;
  /** Label and value pairs: counts, repository, run. */
  facts: Array<[label: string, value: string]>;
  /** The top items (at most TOP_ITEMS), one line each. */
  items: string[];
  /** More items than listed. */
  more: number;
  /** The run's page (GitHub Actions), when known. */
  url?: string;
}

export const TOP_ITEMS = 10;

const top = (lines: string[]) => ({ items: lines.slice(0, TOP_ITEMS), more: Math.max(0, lines.length - TOP_ITEMS) });

/**
 * The messages a decided run gives rise to, one per event that has something to say: drifted
 * stacks, a janitor summary, an override refused, standards findings by repository and domain. Pure: the same run gives the same messages.
 */
export function messagesFor(result: RunResult, runUrl?: string): Message[] {
  const messages: Message[] = [];
  const where = result.event.repo?.fullName;
  const base: Array<[string, string]> = [...(where ? [['Repository', where] as [string, string]] : []), ['Run', result.runId]];
  for (const step of result.steps) {
    const outcome = step.outcome;
    if (step.module === 'drift') {
      const stacks = Array.isArray(outcome.data?.stacks) ? (outcome.data.stacks as Array<{ fingerprint?: unknown; status?: unknown; drift?: unknown }>) : [];
      const drifted = stacks.filter((s) => s.status === 'drift' && Array.isArray(s.drift) && s.drift.length > 0);
      if (drifted.length === 0) continue;
      messages.push({
        event: 'drift',
        title: `Drift in ${drifted.length} stack${drifted.length > 1 ? 's' : ''}`,
        summary: outcome.summary,
        facts: [...base, ['Drifted', String(drifted.length)], ['Checked', String(stacks.length)]],
        ...top(drifted.map((s) => `${String(s.fingerprint)}: ${(s.drift as unknown[]).length} change${(s.drift as unknown[]).length > 1 ? 's' : ''}`)),
        url: runUrl,
      });
    } else if (step.module === 'janitor') {
      const last = new Map<string, string>();
      for (const d of outcome.decisions) last.set(d.subject, d.decision);
      const count = (...names: string[]) => [...last.values()].filter((d) => names.includes(d)).length;
      const deletes = outcome.actions.filter((a) => a.kind === 'delete' || a.kind === 'terraform destroy');
      messages.push({
        event: 'janitor',
        title: `Janitor${result.dryRun ? ' (dry run)' : ''}: ${step.verdict === 'error' ? 'incomplete' : 'done'}`,
        summary: outcome.summary,
        facts: [...base, ['Deleted', String(count('deleted'))], [result.dryRun ? 'Would delete' : 'Planned', String(count('delete'))], ['Kept', String(count('keep'))], ['Failed', String(count('delete failed'))]],
        ...top(deletes.map((a) => `${a.kind} ${a.target}: ${a.status}${a.status === 'failed' && a.detail ? ` (${a.detail})` : ''}`)),
        url: runUrl,
      });
    } else if (step.module === 'standards') {
      // Findings by repository and domain; notices (a first scan, keys not checked) are not findings.
      const byRepo = new Map<string, Map<string, number>>();
      for (const f of outcome.findings) {
        if (f.severity === 'notice' || !f.source || !f.title.includes(': ')) continue;
        const repo = f.title.slice(0, f.title.indexOf(': '));
        const domains = byRepo.get(repo) ?? new Map<string, number>();
        domains.set(f.source, (domains.get(f.source) ?? 0) + 1);
        byRepo.set(repo, domains);
      }
      if (byRepo.size === 0) continue;
      const total = [...byRepo.values()].reduce((sum, d) => sum + [...d.values()].reduce((a, b) => a + b, 0), 0);
      const scanned = Array.isArray(outcome.data?.repositories) ? outcome.data.repositories.length : undefined;
      messages.push({
        event: 'standards',
        title: `Standards: findings in ${byRepo.size} repositor${byRepo.size > 1 ? 'ies' : 'y'}`,
        summary: outcome.summary,
        facts: [...base, ...(scanned !== undefined ? [['Repositories', String(scanned)] as [string, string]] : []), ['With findings', String(byRepo.size)], ['Findings', String(total)]],
        ...top([...byRepo].map(([repo, domains]) => `${repo}: ${[...domains].map(([d, n]) => `${d} ${n}`).join(', ')}`)),
        url: runUrl,
      });
    } else if (step.module === 'override') {
      const refused = outcome.decisions.filter((d) => d.decision === 'refused');
      if (refused.length === 0) continue;
      messages.push({
        event: 'override_refused',
        title: 'Override refused',
        summary: outcome.summary,
        facts: [...base, ...((result.event.pr?.number ?? result.event.comment?.issueNumber) !== undefined ? [['Pull request', `#${result.event.pr?.number ?? result.event.comment?.issueNumber}`] as [string, string]] : []), ['Asked by', result.event.actor]],
        ...top(refused.map((d) => `${d.subject}: ${d.reason}`)),
        url: runUrl,
      });
    }
  }
  return messages;
}
