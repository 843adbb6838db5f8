import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { buildReportFixtures, type Expected } from '../helpers/report-fixtures.ts';

/** Debian's chromium package; .ci/run installs it. */
const CHROMIUM = '/usr/bin/chromium';
/** Screenshots are kept here for a person to look at (ignored by git). */
const SHOTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** What the tests read of the page's globals (the project compiles without the DOM's types). */
interface PageGlobals {
  document: { getElementById(id: string): { width: number; height: number } | null };
  Chart: { getChart(id: string): { data: { datasets: Array<{ data: Array<number | null> }> } } | undefined };
}

let context: BrowserContext;
let report: string;
let expected: Expected;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium), as .ci/run does`);
  let dir: string;
  ({ dir, expected } = await buildReportFixtures());
  report = join(dir, 'site', 'report.html');
  const run = await runCli(['report', '--audit-dir', dir, '--out', report]);
  expect(run.code, run.stderr).toBe(0);
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'dg-chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
}, 240_000);
afterAll(async () => {
  await context?.close();
});

describe('the report in a real browser (chromium, from disk)', () => {
  it('draws its charts with no error and no request outside the file, holds the fixture numbers, and its filters narrow the rows', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => !r.url().startsWith('file:') && requests.push(r.url()));
    await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });

    const charts = await page.evaluate(() => {
      // Runs in the page: its globals, typed here by what is read of them.
      const page = globalThis as unknown as PageGlobals;
      return ['chart-runs', 'chart-janitor', 'chart-drift'].map((id) => {
        const canvas = page.document.getElementById(id);
        const chart = page.Chart.getChart(id);
        const total = chart ? chart.data.datasets.reduce((sum, d) => sum + d.data.reduce<number>((a, b) => a + (b ?? 0), 0), 0) : -1;
        return { id, width: canvas?.width ?? 0, height: canvas?.height ?? 0, total };
      });
    });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(0);
      expect(c.height, c.id).toBeGreaterThan(0);
    }
    const total = (id: string) => charts.find((c) => c.id === id)!.total;
    expect(total('chart-runs')).toBe(expected.runs);
    expect(total('chart-janitor')).toBe(expected.deleted + expected.kept + expected.skipped + expected.planned);
    expect(total('chart-drift')).toBe(expected.drifted);
    // The hostile file name and override reason stayed text: their onerror never ran.
    expect(await page.title()).toBe('DriftGuard governance report');

    const visible = (table: string) => page.locator(`#${table} tbody tr:visible`).count();
    expect(await visible('runs')).toBe(expected.runs);
    expect(await page.locator('#count-blocked').textContent()).toBe(String(expected.blocked));
    expect(await page.locator('#janitor-deleted').textContent()).toBe(String(expected.deleted));
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true });
    expect(statSync(join(SHOTS, 'report.png')).size).toBeGreaterThan(10_000);

    await page.selectOption('#f-repo', 'acme/infra');
    expect(await visible('runs')).toBe(2);
    expect(await visible('doc-findings')).toBe(0);
    expect(await visible('drift-rows')).toBe(4);
    expect(await page.locator('#runs-shown').textContent()).toBe('2');
    expect(await page.evaluate(() => {
      const chart = (globalThis as unknown as PageGlobals).Chart.getChart('chart-runs')!;
      return chart.data.datasets.reduce((sum, d) => sum + d.data.reduce<number>((a, b) => a + (b ?? 0), 0), 0);
    })).toBe(2);

    await page.selectOption('#f-repo', '');
    await page.selectOption('#f-module', 'override');
    expect(await visible('runs')).toBe(expected.refused + expected.granted);
    expect(await visible('overrides')).toBe(expected.refused + expected.granted);
    expect(await visible('janitor-rows')).toBe(0);

    await page.selectOption('#f-module', '');
    await page.fill('#f-to', '2000-01-01');
    expect(await visible('runs')).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'report-filtered.png') });
    expect(errors).toEqual([]);
  });
});
