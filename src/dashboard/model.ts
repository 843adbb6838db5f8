import type { AuditArtifact, JournalLine } from './artifact.ts';

/** How a run ended, as the dashboard counts it: a pass whose blocking step was overridden is `overridden`. */
export type RunVerdict = 'pass' | 'blocked' | 'overridden' | 'error';
export const RUN_VERDICTS: readonly RunVerdict[] = ['pass', 'blocked', 'overridden', 'error'];

export type JanitorStatus = 'deleted' | 'planned' | 'kept' | 'skipped' | 'failed';
export const JANITOR_STATUSES: readonly JanitorStatus[] = ['deleted', 'planned', 'kept', 'skipped', 'failed'];

/** Where a table row came from: the artifact (path relative to the report) and the run. */
export interface RowSource {
  /** Path of the artifact, relative to the report's folder, with `/` separators. */
  file: string;
  runId: string;
  /** ISO 8601 start of the run. */
  at: string;
  repository: string;
}

export interface RunRow extends RowSource {
  event: string;
  pullRequest?: number;
  actor: string;
  verdict: RunVerdict;
  dryRun: boolean;
  modules: string[];
  durationMs: number;
}

export interface StepRow extends RowSource {
  module: string;
  durationMs: number;
  effect: string;
}

export interface DocFindingRow extends RowSource {
  pullRequest?: number;
  setting: string;
  path: string;
  line?: number;
  rule: string;
  severity: string;
}

export interface OverrideRow extends RowSource {
  pullRequest?: number;
  who: string;
  decision: 'granted' | 'refused';
  /** The reason given (granted) or the rule that refused it. */
  why: string;
}

export interface JanitorRow extends RowSource {
  provider: string;
  account: string;
  region: string;
  type: string;
  resource: string;
  status: JanitorStatus;
  reason: string;
}

export interface DriftRow extends RowSource {
  environment: string;
  region: string;
  stack: string;
  status: string;
  changes: number;
}

export interface Remediation {
  stack: string;
  driftedAt: string;
  cleanAt?: string;
  /** Milliseconds from the first run that saw the drift to the first that saw it clean; undefined while open. */
  ms?: number;
}

export interface PersistentSkip {
  resource: string;
  runs: number;
  first: string;
  last: string;
  reason: string;
  file: string;
}

export interface JournalRow {
  file: string;
  runId: string;
  actor: string;
  opened: string;
  closed: boolean;
  deleted: number;
  failed: number;
  /** Deletes announced (intent) with no result and not accounted for by a later run. */
  unconfirmed: number;
}

/** One run reduced to what the charts need (filtered in the browser). */
export interface ChartRun {
  /** Day, YYYY-MM-DD (UTC). */
  d: string;
  /** Repository. */
  r: string;
  /** Modules of the run's steps. */
  m: string[];
  v: RunVerdict;
  /** Janitor resources by status: deleted, planned, kept, skipped, failed. */
  j?: [number, number, number, number, number];
  /** Drifted stacks by "environment/region". */
  x?: Record<string, number>;
}

export interface Skipped {
  /** Files that are not JSON (or JSON lines) at all, or were cut short. */
  malformed: number;
  /** JSON that is not a DriftGuard audit artifact or journal. */
  foreign: number;
  /** Runs before --since. */
  outOfRange: number;
  /** Files that could not be read (permissions, vanished). */
  unreadable: number;
}

export interface DashboardModel {
  generatedAt: string;
  since?: string;
  counts: { artifacts: number; journals: number } & Skipped;
  runs: RunRow[];
  slowSteps: StepRow[];
  docFindings: DocFindingRow[];
  topSettings: Array<[name: string, count: number]>;
  topRepositories: Array<[name: string, count: number]>;
  topFiles: Array<[name: string, count: number]>;
  overrides: OverrideRow[];
  janitor: JanitorRow[];
  janitorTotals: Record<JanitorStatus, number>;
  janitorByReason: Array<[provider: string, account: string, reason: string, count: number]>;
  persistentSkips: PersistentSkip[];
  journals: JournalRow[];
  drift: DriftRow[];
  remediations: Remediation[];
  chartRuns: ChartRun[];
  /** Rows each table holds at most (the newest); totals are over every run. */
  rowLimit: number;
  /** How many rows each table had before the limit. */
  totals: Record<'runs' | 'docFindings' | 'overrides' | 'janitor' | 'drift', number>;
}

const JANITOR_KEY = /^([a-z]+)\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/;
const JANITOR_LABEL = /^(\S+) (\S+) (.+) \(([^/)]+)(?:\/([^)]+))?\)$/;

function verdictOf(record: AuditArtifact): RunVerdict {
  if (record.outcome === 'error') return 'error';
  if (record.outcome === 'blocked') return 'blocked';
  return record.steps.some((s) => s.effect === 'overridden') ? 'overridden' : 'pass';
}

/** A reason with its times and durations taken out, so that like reasons are counted together ("expired N ago"). */
const reasonKind = (reason: string) => reason.replace(/ \([^)]*\)/g, '').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/\b\d+(?:ms|[smhdw])(?:\d+(?:ms|[smhdw]))*\b/g, 'N');
const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
const newestFirst = <T extends { at: string }>(a: T, b: T) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0);

/**
 * Folds audit artifacts and janitor journals, one at a time and in any order, into the
 * dashboard's model. Memory grows with the number of table rows (every row is kept until
 * `build`, which lists the newest `rowLimit`), not with the artifacts' size.
 */
export class DashboardBuilder {
  readonly skipped: Skipped = { malformed: 0, foreign: 0, outOfRange: 0, unreadable: 0 };
  private artifacts = 0;
  private runs: RunRow[] = [];
  private steps: StepRow[] = [];
  private docFindings: DocFindingRow[] = [];
  private settings = new Map<string, number>();
  private repositories = new Map<string, number>();
  private files = new Map<string, number>();
  private overrides: OverrideRow[] = [];
  private janitor: JanitorRow[] = [];
  private janitorTotals: Record<JanitorStatus, number> = { deleted: 0, planned: 0, kept: 0, skipped: 0, failed: 0 };
  private janitorReasons = new Map<string, number>();
  private skips = new Map<string, PersistentSkip & { seen: Set<string> }>();
  private journals: JournalRow[] = [];
  private drift: DriftRow[] = [];
  private observations: Array<{ stack: string; at: string; drifted: boolean }> = [];
  private chartRuns: ChartRun[] = [];

  constructor(private readonly options: { sinceMs?: number; now: Date; since?: string; rowLimit?: number }) {}

  /** False when the run started before --since (it is counted, not added). */
  private inRange(at: string): boolean {
    if (this.options.sinceMs === undefined) return true;
    return Date.parse(at) >= this.options.now.getTime() - this.options.sinceMs;
  }

  addArtifact(record: AuditArtifact, file: string): void {
    if (!this.inRange(record.startedAt)) {
      this.skipped.outOfRange++;
      return;
    }
    this.artifacts++;
    const source: RowSource = { file, runId: record.runId, at: record.startedAt, repository: record.repository ?? '' };
    const verdict = verdictOf(record);
    this.runs.push({ ...source, event: record.event, pullRequest: record.pullRequest, actor: record.actor, verdict, dryRun: record.dryRun, modules: record.steps.map((s) => s.module), durationMs: record.durationMs });
    const chart: ChartRun = { d: record.startedAt.slice(0, 10), r: source.repository, m: record.steps.map((s) => s.module), v: verdict };
    for (const step of record.steps) {
      this.steps.push({ ...source, module: step.module, durationMs: step.durationMs, effect: step.effect });
      const outcome = step.outcome;
      if (step.module === 'doc_sync') {
        for (const f of outcome.findings) {
          this.docFindings.push({ ...source, pullRequest: record.pullRequest, setting: f.title, path: f.file ?? '', line: f.line, rule: f.rule, severity: f.severity });
          bump(this.settings, f.title);
          if (source.repository) bump(this.repositories, source.repository);
          if (f.file) bump(this.files, f.file);
        }
      } else if (step.module === 'override') {
        for (const d of outcome.decisions) {
          if (d.decision !== 'granted' && d.decision !== 'refused') continue;
          const who = /by @(\S+)$/.exec(d.subject)?.[1] ?? record.actor;
          this.overrides.push({ ...source, pullRequest: record.pullRequest, who, decision: d.decision, why: d.reason });
        }
      } else if (step.module === 'janitor') {
        chart.j = this.addJanitor(source, outcome);
      } else if (step.module === 'drift') {
        chart.x = this.addDrift(source, outcome.data);
      }
    }
    this.chartRuns.push(chart);
  }

  private addJanitor(source: RowSource, outcome: AuditArtifact['steps'][number]['outcome']): ChartRun['j'] {
    const skipFindings = outcome.findings
      .filter((f) => f.rule === 'janitor.skip')
      .map((f) => ({ f, label: JANITOR_LABEL.exec(f.title), reason: f.message.replace(/^skipped: /, ''), used: false }));
    const last = new Map<string, { decision: string; reason: string }>();
    for (const d of outcome.decisions) if (JANITOR_KEY.test(d.subject)) last.set(d.subject, d);
    const counts: NonNullable<ChartRun['j']> = [0, 0, 0, 0, 0];
    const add = (row: Omit<JanitorRow, keyof RowSource>) => {
      this.janitor.push({ ...source, ...row });
      this.janitorTotals[row.status]++;
      counts[JANITOR_STATUSES.indexOf(row.status)]!++;
      bump(this.janitorReasons, JSON.stringify([row.provider, row.account, row.status === 'deleted' ? 'deleted' : reasonKind(row.reason)]));
      if (row.status === 'skipped') {
        const key = `${row.provider}/${row.account}/${row.region}/${row.type}/${row.resource}`;
        const seen = this.skips.get(key) ?? { resource: key, runs: 0, first: source.at, last: source.at, reason: row.reason, file: source.file, seen: new Set<string>() };
        if (!seen.seen.has(source.runId)) {
          seen.seen.add(source.runId);
          seen.runs++;
        }
        if (source.at < seen.first) seen.first = source.at;
        if (source.at >= seen.last) Object.assign(seen, { last: source.at, reason: row.reason, file: source.file });
        this.skips.set(key, seen);
      }
    };
    for (const [subject, d] of last) {
      const [, provider, account, region, type, id] = JANITOR_KEY.exec(subject)!;
      let status: JanitorStatus =
        d.decision === 'deleted' ? 'deleted' : d.decision === 'delete' ? 'planned' : d.decision === 'not deleted' ? 'skipped' : d.decision === 'delete failed' ? 'failed' : 'kept';
      if (status === 'kept') {
        // A resource kept in doubt also has a janitor.skip finding; its label names the resource by
        // its name where it has one, so the id is not compared.
        const doubt = skipFindings.find((s) => !s.used && s.label && s.label[1] === provider && s.label[2] === type && s.label[4] === account && s.reason === d.reason);
        if (doubt) {
          doubt.used = true;
          status = 'skipped';
        }
      }
      add({ provider: provider!, account: account!, region: region!, type: type!, resource: id!, status, reason: d.reason });
    }
    // Resources that could not even be read have a finding and no decision.
    for (const s of skipFindings) {
      if (s.used) continue;
      const [, provider = '', type = '', name = s.f.title, account = '', region = ''] = s.label ?? [];
      add({ provider, account, region, type, resource: name, status: 'skipped', reason: s.reason });
    }
    return counts;
  }

  private addDrift(source: RowSource, data: Record<string, unknown> | undefined): ChartRun['x'] {
    const stacks = Array.isArray(data?.stacks) ? data.stacks : [];
    const drifted: Record<string, number> = {};
    for (const raw of stacks) {
      if (typeof raw !== 'object' || raw === null) continue;
      const s = raw as { fingerprint?: unknown; status?: unknown; drift?: unknown };
      if (typeof s.fingerprint !== 'string' || typeof s.status !== 'string') continue;
      const [environment = '', region = '', ...rest] = s.fingerprint.split('/');
      const changes = Array.isArray(s.drift) ? s.drift.length : 0;
      const isDrifted = s.status === 'drift' && changes > 0;
      this.drift.push({ ...source, environment, region, stack: rest.join('/') || s.fingerprint, status: isDrifted ? 'drift' : s.status === 'drift' ? 'clean' : s.status, changes });
      if (isDrifted) drifted[`${environment}/${region}`] = (drifted[`${environment}/${region}`] ?? 0) + 1;
      else if (!(`${environment}/${region}` in drifted)) drifted[`${environment}/${region}`] = 0;
      if (s.status !== 'error') this.observations.push({ stack: s.fingerprint, at: source.at, drifted: isDrifted });
    }
    return drifted;
  }

  /** Folds one janitor journal (its whole records, in file order). */
  addJournal(lines: readonly JournalLine[], file: string): void {
    const open = lines.find((l) => l.kind === 'open');
    if (!open) {
      this.skipped.foreign++;
      return;
    }
    if (!this.inRange(open.at)) {
      this.skipped.outOfRange++;
      return;
    }
    const intents = new Set<string>();
    const results = new Set<string>();
    let deleted = 0;
    let failed = 0;
    for (const l of lines) {
      if (l.kind === 'intent' && l.subject) intents.add(l.subject);
      if (l.kind === 'result' && l.subject) {
        results.add(l.subject);
        if (l.result === 'deleted' || l.result === 'gone' || l.result === 'destroyed') deleted++;
        if (l.result === 'failed') failed++;
      }
    }
    const closed = lines.some((l) => l.kind === 'close');
    const accounted = lines.some((l) => l.kind === 'accounted');
    const unconfirmed = accounted ? 0 : [...intents].filter((s) => !results.has(s)).length;
    this.journals.push({ file, runId: open.runId, actor: open.actor, opened: open.at, closed, deleted, failed, unconfirmed });
  }

  build(): DashboardModel {
    const limit = this.options.rowLimit ?? 500;
    const cut = <T extends { at: string }>(rows: T[]) => rows.sort(newestFirst).slice(0, limit);
    // Time to remediation: from the first run that saw a stack drifted to the first later run that saw it clean.
    const remediations: Remediation[] = [];
    const byStack = new Map<string, Array<{ at: string; drifted: boolean }>>();
    for (const o of this.observations) (byStack.get(o.stack) ?? byStack.set(o.stack, []).get(o.stack)!).push(o);
    for (const [stack, seen] of byStack) {
      seen.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      let since: string | undefined;
      for (const o of seen) {
        if (o.drifted && since === undefined) since = o.at;
        else if (!o.drifted && since !== undefined) {
          remediations.push({ stack, driftedAt: since, cleanAt: o.at, ms: Date.parse(o.at) - Date.parse(since) });
          since = undefined;
        }
      }
      if (since !== undefined) remediations.push({ stack, driftedAt: since });
    }
    remediations.sort((a, b) => (a.driftedAt < b.driftedAt ? 1 : -1));
    const totals = { runs: this.runs.length, docFindings: this.docFindings.length, overrides: this.overrides.length, janitor: this.janitor.length, drift: this.drift.length };
    return {
      generatedAt: this.options.now.toISOString(),
      since: this.options.since,
      counts: { artifacts: this.artifacts, journals: this.journals.length, ...this.skipped },
      runs: cut(this.runs),
      slowSteps: [...this.steps].sort((a, b) => b.durationMs - a.durationMs).slice(0, 15),
      docFindings: cut(this.docFindings),
      topSettings: top(this.settings, 15),
      topRepositories: top(this.repositories, 15),
      topFiles: top(this.files, 15),
      overrides: cut(this.overrides),
      janitor: cut(this.janitor),
      janitorTotals: this.janitorTotals,
      janitorByReason: top(this.janitorReasons, 20).map(([key, count]) => [...(JSON.parse(key) as [string, string, string]), count]),
      persistentSkips: [...this.skips.values()].filter((s) => s.runs >= 2).sort((a, b) => b.runs - a.runs || (a.resource < b.resource ? -1 : 1)).slice(0, 50).map(({ seen: _, ...s }) => s),
      journals: this.journals.sort((a, b) => (a.opened < b.opened ? 1 : -1)).slice(0, limit),
      drift: cut(this.drift),
      remediations: remediations.slice(0, limit),
      chartRuns: this.chartRuns.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0)),
      rowLimit: limit,
      totals,
    };
  }
}
