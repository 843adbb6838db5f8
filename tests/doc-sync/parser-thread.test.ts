import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { jsScan } from '../../modules/doc-sync/js-reads.ts';
import { jsScanAnywhere, PARSER_THREAD, parserCounts, stopParserThread } from '../../modules/doc-sync/js-pool.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { TestRepo } from '../helpers/git-repo.ts';

/** The bundled parser thread, as bin/driftguard.js starts it. */
const WORKER = new URL('../../dist/js-worker.js', import.meta.url);
const DIST_CLI = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url));

const SOURCES: Array<[string, string]> = [
  ['a.ts', "import { env } from 'node:process';\nconst KEY = 'TS_KEY';\nexport const a = env[KEY] ?? process.env.TS_DIRECT;\nexport const B = 'EXPORTED_NAME';\n"],
  ['b.jsx', 'export const C = () => <div>{process.env.JSX_READ}</div>;\n'],
  ['c.js', 'var import_process = __toESM(require("process"));\nmodule.exports = () => import_process.default.env.BUNDLED_READ;\n'],
  ['d.mjs', 'const { DESTRUCTURED, OTHER: renamed } = process.env;\nif ("IN_CHECK" in process.env) run(import.meta.env.VITE_X, Deno.env.get("DENO_X"), Bun.env.BUN_X);\n'],
  ['e.ts', 'export const broken = ( =>\n'],
];

const setThread = (worker: Worker | undefined) => {
  (globalThis as Record<symbol, Worker | undefined>)[PARSER_THREAD] = worker;
};

const reposForBin: TestRepo[] = [];
afterEach(() => {
  stopParserThread();
  setThread(undefined);
});
afterAll(() => reposForBin.forEach((r) => r.remove()));

describe('the parser thread', () => {
  it('answers exactly what jsScan answers on this thread, file by file', async () => {
    const worker = new Worker(WORKER);
    setThread(worker);
    const before = parserCounts();
    const answers = await Promise.all(SOURCES.map(([path, text]) => jsScanAnywhere(path, text)));
    expect(answers).toEqual(SOURCES.map(([path, text]) => jsScan(path, text)));
    // What crosses the thread boundary keeps its shape (a Map stays a Map).
    expect(answers[0]!.reads.map((r) => r.name)).toEqual(['TS_KEY', 'TS_DIRECT']);
    expect(answers[0]!.constants).toEqual(new Map([['KEY', 'TS_KEY'], ['B', 'EXPORTED_NAME']]));
    expect(answers[4]).toEqual(jsScan('e.ts', 'export const broken = ( =>\n'));
    const after = parserCounts();
    expect(after.thread - before.thread).toBe(SOURCES.length);
    expect(after.main - before.main).toBe(0);
  });

  it('a thread that exits (before or while answering) hands its files back to this thread: same answers', async () => {
    const exiting = new Worker('process.exit(3)', { eval: true });
    setThread(exiting);
    const before = parserCounts();
    const answers = await Promise.all(SOURCES.map(([path, text]) => jsScanAnywhere(path, text)));
    expect(answers).toEqual(SOURCES.map(([path, text]) => jsScan(path, text)));
    const after = parserCounts();
    expect(after.main - before.main).toBe(SOURCES.length);
    expect(after.thread - before.thread).toBe(0);
  });

  it('a thread that stopped before its first file is not waited for', async () => {
    const gone = new Worker('process.exit(4)', { eval: true });
    await new Promise((resolve) => gone.once('exit', resolve));
    setThread(gone);
    const before = parserCounts();
    const [path, text] = SOURCES[0]!;
    expect(await jsScanAnywhere(path, text)).toEqual(jsScan(path, text));
    expect(parserCounts().main - before.main).toBe(1);
  });

  it('bin/driftguard.js with the thread\'s file missing still finds every read, on the main thread', async () => {
    const r = new TestRepo();
    reposForBin.push(r);
    r.write({ 'README.md': '# x\n', 'policy.yaml': 'version: 1\naudit: { dir: audit }\nworkflows:\n  pr_opened: [doc_sync]\nmodules:\n  doc_sync:\n    ai: { enabled: false }\n' });
    r.commit('base');
    r.branch('feature');
    r.write({ 'src/a.ts': SOURCES[0]![1] });
    r.commit('change');
    // A copy of the package without dist/js-worker.js: the entry point's thread stops at once.
    const copy = mkdtempSync(join(tmpdir(), 'dg-no-thread-'));
    cpSync(fileURLToPath(new URL('../../bin', import.meta.url)), join(copy, 'bin'), { recursive: true });
    cpSync(fileURLToPath(new URL('../../dist', import.meta.url)), join(copy, 'dist'), { recursive: true, filter: (f) => !f.endsWith('js-worker.js') });
    cpSync(fileURLToPath(new URL('../../package.json', import.meta.url)), join(copy, 'package.json'));
    symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(copy, 'node_modules'));
    try {
      const run = spawnSync(process.execPath, [join(copy, 'bin', 'driftguard.js'), 'run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: r.dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR }, timeout: 60_000 });
      // Before: waited for the stopped thread forever.
      expect(run.status).toBe(1);
      const report = JSON.parse(run.stdout.toString()) as { steps: Array<{ outcome: { findings: Array<{ title: string }>; data: { jsParsed: { thread: number; main: number } } } }> };
      expect(report.steps[0]!.outcome.findings.map((f) => f.title).sort()).toEqual(['TS_DIRECT', 'TS_KEY']);
      expect(report.steps[0]!.outcome.data.jsParsed.thread).toBe(0);
      expect(report.steps[0]!.outcome.data.jsParsed.main).toBeGreaterThan(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a thread that answers with an error does not lose the file', async () => {
    const failing = new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage({ id: m.id, error: 'out of memory' }))", { eval: true });
    setThread(failing);
    const [path, text] = SOURCES[0]!;
    expect(await jsScanAnywhere(path, text)).toEqual(jsScan(path, text));
  });

  it('stopParserThread ends a thread that would never answer, so the process can exit', async () => {
    const silent = new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true });
    setThread(silent);
    let exited = false;
    const exit = new Promise<void>((resolve) => silent.once('exit', () => resolve(void (exited = true))));
    void jsScanAnywhere('a.ts', SOURCES[0]![1]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exited).toBe(false);
    stopParserThread();
    await exit;
    expect(exited).toBe(true);
  });
});

describe('pull request checks through the CLI', () => {
  const repos: TestRepo[] = [];
  afterAll(() => repos.forEach((r) => r.remove()));

  const POLICY = 'version: 1\naudit: { dir: audit }\nworkflows:\n  pr_opened: [doc_sync]\nmodules:\n  doc_sync:\n    ai: { enabled: false }\n';

  function repo(): TestRepo {
    const base: Record<string, string> = { 'README.md': '# x\nUses `TS_DIRECT`.\n', 'policy.yaml': POLICY };
    const change: Record<string, string> = {};
    SOURCES.forEach(([path, text]) => (change[`src/${path}`] = text));
    change['src/uses.js'] = "const { B } = require('./a');\nmodule.exports = process.env[B];\n";
    const { repo: r } = TestRepo.withChange(base, change);
    repos.push(r);
    return r;
  }

  /** The dist CLI started directly: no entry point starts a parser thread. */
  const runDist = (args: string[], cwd: string): Promise<CliResult> => runCli(args, { cwd, script: DIST_CLI });

  type Report = { steps: Array<{ outcome: { findings: Array<{ file: string; line: number; title: string }>; data: { jsParsed: { thread: number; main: number } } } }> };

  it('bin/driftguard.js parses on the parser thread; the findings are those of a run that parses on the main thread', async () => {
    const r = repo();
    const args = ['run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--format', 'json'];
    const threaded = await runCli(args, { cwd: r.dir });
    const direct = await runDist(args, r.dir);
    expect(threaded.code).toBe(1);
    expect(direct.code).toBe(1);
    const a = JSON.parse(threaded.stdout) as Report;
    const b = JSON.parse(direct.stdout) as Report;
    const titles = (x: Report) => x.steps[0]!.outcome.findings.map((f) => `${f.file}:${f.line} ${f.title}`).sort();
    expect(titles(a)).toEqual(titles(b));
    expect(titles(a)).toEqual(expect.arrayContaining(['src/a.ts:3 TS_KEY', 'src/b.jsx:1 JSX_READ', 'src/c.js:2 BUNDLED_READ', 'src/d.mjs:1 DESTRUCTURED', 'src/uses.js:2 EXPORTED_NAME']));
    expect(titles(a)).not.toContain('src/a.ts:3 TS_DIRECT');
    // Head and base sides of the changed JS/TS files.
    expect(a.steps[0]!.outcome.data.jsParsed.thread).toBeGreaterThanOrEqual(SOURCES.length);
    expect(a.steps[0]!.outcome.data.jsParsed.main).toBe(0);
    expect(b.steps[0]!.outcome.data.jsParsed).toEqual({ thread: 0, main: a.steps[0]!.outcome.data.jsParsed.thread });
  });

  it('pr_synchronize, given as --event=VALUE, parses on the thread too', async () => {
    const r = repo();
    writeFileSync(join(r.dir, 'policy.yaml'), POLICY.replace('pr_opened', 'pr_synchronize'));
    const res = await runCli(['run', '--event=pr_synchronize', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: r.dir });
    expect(res.code).toBe(1);
    expect((JSON.parse(res.stdout) as Report).steps[0]!.outcome.data.jsParsed).toEqual({ thread: expect.any(Number), main: 0 });
    expect((JSON.parse(res.stdout) as Report).steps[0]!.outcome.data.jsParsed.thread).toBeGreaterThan(0);
  });
});
