import { inertCode, inertMarkdown, inertText } from '../../src/report/inert.ts';
/** The state of one round, kept in the source commit's `driftguard/cross-repo` check run. */
export interface DependentState {
  state: 'pending' | 'passed' | 'failed';
  reason?: string;
  runUrl?: string;
  at?: string;
}

export interface Round {
  correlation: string;
  source: string;
  pr: number;
  sha: string;
  contracts: string[];
  deadline: string;
  onTimeout: 'fail' | 'neutral';
  dependents: Record<string, DependentState>;
  /** Breaking changes found by the static diff: they fail the round whatever the dependents say. */
  breaking: number;
}

export const CHECK_NAME = 'driftguard/cross-repo';
const MARKER = /<!-- driftguard:round (\{[\s\S]*?\}) -->/;

export function encodeRound(round: Round): string {
  return `<!-- driftguard:round ${JSON.stringify(round)} -->`;
}

export function decodeRound(text: string): Round | undefined {
  const m = MARKER.exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as Round;
  } catch {
    return undefined;
  }
}

export type RoundVerdict = { status: 'in_progress' } | { status: 'completed'; conclusion: 'success' | 'failure' | 'neutral'; reason: string };

/** Green when every dependent passed, red when any failed, on_timeout once the deadline passes. */
export function verdictOf(round: Round, now: Date): RoundVerdict {
  const entries = Object.entries(round.dependents);
  if (round.breaking > 0) return { status: 'completed', conclusion: 'failure', reason: `${round.breaking} breaking change(s) in the contract` };
  const failed = entries.filter(([, d]) => d.state === 'failed');
  if (failed.length > 0) return { status: 'completed', conclusion: 'failure', reason: `failed in ${failed.map(([r, d]) => `${r}${d.reason ? ` (${d.reason})` : ''}`).join(', ')}` };
  const pending = entries.filter(([, d]) => d.state === 'pending');
  if (pending.length === 0) return { status: 'completed', conclusion: 'success', reason: `passed in ${entries.map(([r]) => r).join(', ') || 'no dependents'}` };
  if (now.getTime() >= Date.parse(round.deadline)) {
    return { status: 'completed', conclusion: round.onTimeout === 'fail' ? 'failure' : 'neutral', reason: `no answer from ${pending.map(([r]) => r).join(', ')} by ${round.deadline} (on_timeout: ${round.onTimeout})` };
  }
  return { status: 'in_progress' };
}

export function roundText(round: Round, verdict: RoundVerdict): { title: string; summary: string; text: string } {
  // Dependents' reasons and run links come from other repositories' workflows: shown, never followed.
  const rows = Object.entries(round.dependents).map(([repo, d]) => `| ${inertCode(repo, { table: true })} | ${d.state} | ${inertMarkdown(d.reason ?? '', 500)} | ${d.runUrl ? inertCode(d.runUrl, { table: true }) : ''} |`);
  const title = verdict.status === 'in_progress' ? `Waiting for ${Object.values(round.dependents).filter((d) => d.state === 'pending').length} of ${rows.length} dependents` : inertText(verdict.reason, 200);
  const summary = [`Contracts changed: ${round.contracts.map((c) => inertCode(c)).join(', ')}. Dependents answer until ${round.deadline}.`, '', '| Dependent | State | Reason | Run |', '| --- | --- | --- | --- |', ...rows].join('\n');
  return { title, summary, text: encodeRound(round) };
}
