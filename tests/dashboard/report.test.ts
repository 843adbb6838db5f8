import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { JournalRecord } from '../../modules/janitor/journal.ts';
import type { AssertReadable, JournalLine } from '../../src/dashboard/artifact.ts';
import { runCli } from '../helpers/cli.ts';
import { artifactFiles, buildReportFixtures, HOSTILE, type Expected } from '../helpers/report-fixtures.ts';

// The janitor's real journal lines stay readable by the dashboard: a change that breaks that fails to compile.
export type JournalReadable = AssertReadable<JournalRecord, z.input<typeof JournalLine>>;

let dir: string;
let expected: Expected;
let html: string;
let stdout: string;
let artifacts: number;

/** The text of the table cells of one row per <tr>, of the table with this id. */
function rows(id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].slice(1).map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '')));
}

beforeAll(async () => {
  ({ dir, expected } = await buildReportFixtures());
  artifacts = artifactFiles(dir).length;
  // What else lies in a downloaded artifacts folder: a cut-short file, someone else's JSON, a torn journal.
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'driftguard-schedule-cut.json'), '{"format": 1, "runId": "x", "steps": [');
  writeFileSync(join(dir, 'other', 'package.json'), '{"name": "not-ours"}');
  writeFileSync(join(dir, 'other', 'driftguard-janitor-journal-torn.jsonl'), '{"at": "2026-01-01T00:00');
  const run = await runCli(['report', '--audit-dir', dir, '--out', join(dir, 'site', 'report.html')]);
  expect(run.code, run.stderr).toBe(0);
  stdout = run.stdout;
  html = readFileSync(join(dir, 'site', 'report.html'), 'utf8');
}, 180_000);

describe('driftguard report', () => {
  it('reads every run the real CLI left, and counts what it skipped', () => {
    expect(artifacts).toBe(expected.runs);
    expect(stdout).toMatch(new RegExp(`: ${expected.runs} runs, ${expected.journals} janitor journals; skipped 2 malformed, 1 not DriftGuard's \\(\\d+ KiB\\)`));
    expect(rows('runs')).toHaveLength(expected.runs);
    expect(/<span id="skipped">(.*?)<\/span>/.exec(html)?.[1]).toBe('2 malformed, 1 not DriftGuard&#39;s');
  });

  it('counts runs by verdict, overrides, janitor decisions and drift', () => {
    const card = (id: string) => Number(new RegExp(`<b id="${id}">(\\d+)</b>`).exec(html)?.[1]);
    expect(card('count-blocked')).toBe(expected.blocked);
    expect(card('count-overridden')).toBe(expected.overridden);
    expect(card('count-pass') + card('count-error')).toBe(expected.runs - expected.blocked - expected.overridden);
    expect(card('count-refused')).toBe(expected.refused);
    for (const s of ['deleted', 'kept', 'skipped', 'planned'] as const) expect(card(`janitor-${s}`), s).toBe(expected[s]);
    // Found by each of the three checks of the same commit.
    expect(rows('top-settings')).toEqual([['NEW_VAR', '3']]);
    expect(rows('top-repositories')).toEqual([['Codertocat/Hello-World', '3']]);
    const overrides = rows('overrides').map((r) => [r[1], r[2]]);
    expect(overrides.sort()).toEqual([['maintainer', 'granted'], ['reader', 'refused']]);
    expect(rows('persistent-skips')).toEqual([[expect.stringMatching(/^aws\/111111111111\/.*\/s3_bucket\/dg-odd$/), '3', expect.any(String), expect.any(String)]]);
    // Like reasons are counted together, their times and durations taken out.
    expect(rows('janitor-reasons')).toEqual(expect.arrayContaining([['aws', '111111111111', 'not expired: expires in N', String(expected.kept)], ['aws', '111111111111', 'expired N ago', String(expected.planned)], ['aws', '111111111111', 'deleted', String(expected.deleted)]]));
    expect(rows('journals')).toEqual([[expect.any(String), expect.any(String), 'unknown', 'yes', '1', '0', '0']]);
    expect(rows('drift-rows').filter((r) => r[4] === 'drift')).toHaveLength(expected.drifted);
    expect(rows('remediations').map((r) => [r[0], r[2] === 'still drifted'])).toEqual(expect.arrayContaining([['prod/eu-west-1/web', false], ['staging/us-east-1/api', false]]));
  });

  it('links every row to its artifact, relative to the report', () => {
    const links = [...html.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(expected.runs);
    for (const link of links) {
      expect(link).toMatch(/^\.\.\/(pr|janitor|drift)\//);
      expect(() => readFileSync(join(dir, 'site', decodeURIComponent(link.replace(/&#38;/g, '&'))))).not.toThrow();
    }
  });

  it('shows text from pull requests as text: no element of its own', () => {
    expect(html.includes(HOSTILE)).toBe(false);
    const escaped = '&#60;img src=x onerror=&#34;document.title=1&#34;&#62;';
    expect(rows('doc-findings')[0]![2]).toContain(escaped);
    expect(rows('overrides').find((r) => r[2] === 'granted')![3]).toContain(escaped);
    // Only the two scripts DriftGuard wrote may run (their hashes are the policy).
    expect(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]).toMatch(/^default-src 'none'; script-src 'sha256-[^' ]+' 'sha256-[^' ]+'; style-src 'unsafe-inline'; img-src data:$/);
    expect(html.match(/<script/g)).toHaveLength(3);
    // No address to load anything from (the chart library's credits name its sites in comments).
    expect(html.match(/(?:src|href)=["']?(?:https?:)?\/\//g)).toBeNull();
  });

  it('in GitHub Actions, says in the job summary where the dashboard is', async () => {
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_SERVER_URL: 'https://github.test', GITHUB_REPOSITORY: 'acme/infra', GITHUB_RUN_ID: '42' };
    const run = await runCli(['report', '--audit-dir', dir, '--out', join(dir, 'site', 'again.html'), '--quiet'], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(summary, 'utf8')).toContain(`The governance dashboard \`site/again.html\` (${expected.runs} runs, ${expected.journals} janitor journals) is attached to [this run's artifacts](https://github.test/acme/infra/actions/runs/42#artifacts)`);
  });

  it('--since leaves out older runs and says how many', async () => {
    const since = join(dir, '..', `${dir.split('/').pop()}-since`);
    mkdirSync(since);
    const real = join(dir, artifactFiles(dir).find((f) => f.startsWith('drift'))!);
    const record = JSON.parse(readFileSync(real, 'utf8'));
    writeFileSync(join(since, 'driftguard-schedule-new.json'), JSON.stringify(record));
    writeFileSync(join(since, 'driftguard-schedule-old.json'), JSON.stringify({ ...record, runId: 'old', startedAt: '2020-01-01T00:00:00.000Z' }));
    const run = await runCli(['report', '--audit-dir', since, '--since', '30d', '--out', join(since, 'report.html')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: 1 runs, 0 janitor journals; skipped 1 before --since \(\d+ KiB\)$/m);
  });

  it('marks a journal with no closing record as interrupted, with the deletes it never confirmed', async () => {
    const folder = join(dir, '..', `${dir.split('/').pop()}-journal`);
    mkdirSync(folder);
    // A run killed between announcing a delete and its result leaves exactly this (typed as the janitor writes it).
    const lines: JournalRecord[] = [
      { at: '2026-11-02T10:00:00.000Z', kind: 'open', runId: '77-1', actor: 'cron', host: 'runner', pid: 4242 },
      { at: '2026-11-02T10:00:01.000Z', kind: 'intent', runId: '77-1', actor: 'cron', op: 'delete', subject: 'aws/111111111111/us-east-1/s3_bucket/dg-a', decision: 'delete', reason: 'expired' },
      { at: '2026-11-02T10:00:02.000Z', kind: 'result', runId: '77-1', actor: 'cron', op: 'delete', subject: 'aws/111111111111/us-east-1/s3_bucket/dg-a', result: 'deleted' },
      { at: '2026-11-02T10:00:03.000Z', kind: 'intent', runId: '77-1', actor: 'cron', op: 'delete', subject: 'aws/111111111111/us-east-1/s3_bucket/dg-b', decision: 'delete', reason: 'expired' },
    ];
    writeFileSync(join(folder, 'driftguard-janitor-journal-77-1-1.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"at": "2026-11-02T10:00:04`);
    const run = await runCli(['report', '--audit-dir', folder, '--out', join(folder, 'report.html')]);
    expect(run.code, run.stderr).toBe(0);
    const page = readFileSync(join(folder, 'report.html'), 'utf8');
    const table = /<table id="journals">([\s\S]*?)<\/table>/.exec(page)![1]!;
    const cells = [...table.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, ''));
    expect(cells).toEqual(['2026-11-02 10:00:00Z', '77-1', 'cron', 'no (interrupted)', '1', '0', '1']);
  });
});
