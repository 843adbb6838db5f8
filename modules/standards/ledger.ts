import type { RepoRef } from '../../src/events.ts';
import type { OrgGitHub, RepoIssue } from './github.ts';

export const LEDGER_LABEL = 'driftguard:ledger';

/** The last default-branch commit scanned per repository ("owner/name"), and when its ledger was written. */
export type Ledger = Map<string, { sha: string; at: string }>;

const MARKER = /<!-- driftguard:ledger shard=([0-9]+\/[0-9]+|all) -->/;
const BLOCK = /```json\n([\s\S]*?)\n```/;

export const shardKey = (shard: { index: number; count: number } | undefined) => (shard ? `${shard.index}/${shard.count}` : 'all');

/** GitHub refuses an issue body longer than this many characters. */
export const ISSUE_BODY_MAX = 65_536;

/**
 * The entries of one ledger issue body (a JSON block `{"version":2,"at":ISO,"repos":{"owner/name":
 * "<40-hex sha>"}}`, `at` being when that shard last wrote it); a body that does not parse holds
 * none, and an entry that is not a full commit SHA is dropped.
 */
export function parseLedgerBody(body: string): Ledger {
  const out: Ledger = new Map();
  const block = BLOCK.exec(body)?.[1];
  if (!block) return out;
  try {
    const data = JSON.parse(block) as { version?: number; at?: unknown; repos?: Record<string, unknown> };
    if (data.version !== 2 || typeof data.at !== 'string' || typeof data.repos !== 'object' || data.repos === null) return out;
    for (const [repo, sha] of Object.entries(data.repos)) {
      if (typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha)) out.set(repo, { sha, at: data.at });
    }
  } catch {
    // Not ours to repair: an unreadable ledger is a first scan.
  }
  return out;
}

/** A ledger issue body: one repository a line, about 70 characters each, so one issue holds about 900. */
export function ledgerBody(shard: string, ledger: Ledger, at: string): string {
  const lines = [...ledger.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([repo, e]) => `${JSON.stringify(repo)}:${JSON.stringify(e.sha)}`);
  return [
    `<!-- driftguard:ledger shard=${shard} -->`,
    `The last default-branch commit the DriftGuard standards scan checked in each repository (\`driftguard standards scan\`, shard ${shard}). DriftGuard edits this issue; keep it open.`,
    '',
    '```json',
    `{"version":2,"at":${JSON.stringify(at)},"repos":{`,
    lines.join(',\n'),
    '}}',
    '```',
  ].join('\n');
}

export interface LedgerState {
  /** Entries of every trusted ledger issue, the newest entry per repository. */
  merged: Ledger;
  /** This shard's own issue, when there is one. */
  own?: RepoIssue;
  ownEntries: Ledger;
  /** Issues labelled as a ledger but opened by someone else: never read. */
  untrusted: number[];
}

/**
 * Reads the ledger issues in the repository that runs the scan: open issues labelled
 * `driftguard:ledger` AND opened by `identity`. An issue anyone else opened with that label is
 * listed in `untrusted` and never read, whatever it says.
 */
export async function readLedger(api: OrgGitHub, home: RepoRef, identity: string, shard: string): Promise<LedgerState> {
  // Listed by label alone, so that a look-alike someone else opened is seen and named, never read.
  const issues = (await api.openIssuesBy(home, undefined, LEDGER_LABEL)).filter((i) => i.labels.includes(LEDGER_LABEL));
  const state: LedgerState = { merged: new Map(), ownEntries: new Map(), untrusted: [] };
  for (const issue of issues) {
    if (issue.author !== identity) {
      state.untrusted.push(issue.number);
      continue;
    }
    const entries = parseLedgerBody(issue.body);
    if (MARKER.exec(issue.body)?.[1] === shard && !state.own) {
      state.own = issue;
      state.ownEntries = entries;
    }
    for (const [repo, entry] of entries) {
      const seen = state.merged.get(repo);
      if (!seen || seen.at < entry.at) state.merged.set(repo, entry);
    }
  }
  return state;
}
