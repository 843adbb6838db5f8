#!/usr/bin/env node
// Scores the doc synchronizer on real npm version pairs (eval/docsync/cases.json): for each pair,
// a git repository with the older version on `main` and the newer on `head`, one dry-run PR check
// with the AI off, and recall and precision over the undocumented names.
//
//   node eval/docsync/run.mjs [--only NAME] [--min 0.95] [--cli bin/driftguard.js] [--jobs 2] [--verbose]
//
// Tarballs come from the npm registry (the only network this uses) and stay in the cache
// (DRIFTGUARD_EVAL_CACHE, default ~/.cache/driftguard-eval). Exit 1 when --min is given and recall
// or precision is below it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const only = opt('only');
const min = opt('min') === undefined ? undefined : Number(opt('min'));
const cli = resolve(opt('cli', join(root, 'bin/driftguard.js')));
const jobs = Number(opt('jobs', 2));
const verbose = args.includes('--verbose');
const cache = process.env.DRIFTGUARD_EVAL_CACHE ?? join(homedir(), '.cache/driftguard-eval');
const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org').replace(/\/$/, '');

const { cases } = JSON.parse(readFileSync(join(here, 'cases.json'), 'utf8'));
const selected = cases.filter((c) => !only || `${c.package}@${c.head}`.includes(only) || c.package === only);

const slug = (pkg) => pkg.replace('/', '+');

async function tarball(pkg, version) {
  const file = join(cache, 'tarballs', `${slug(pkg)}-${version}.tgz`);
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  const url = `${registry}/${pkg}/-/${pkg.split('/').pop()}-${version}.tgz`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const tmp = `${file}.${process.pid}.part`;
  writeFileSync(tmp, Buffer.from(await res.arrayBuffer()));
  renameSync(tmp, file);
  return file;
}

/** Unpacks a tarball's single top folder into dir (emptied first, .git kept). */
async function unpack(file, dir) {
  const tmp = `${dir}.unpack`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await run('tar', ['xzf', file, '-C', tmp, '--warning=no-unknown-keyword']);
  const top = readdirSync(tmp);
  const from = top.length === 1 ? join(tmp, top[0]) : tmp;
  for (const entry of readdirSync(dir)) if (entry !== '.git') rmSync(join(dir, entry), { recursive: true, force: true });
  for (const entry of readdirSync(from)) cpSync(join(from, entry), join(dir, entry), { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
}

const git = (dir, ...argv) =>
  run('git', ['-c', 'user.name=eval', '-c', 'user.email=eval@localhost', '-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', ...argv], { cwd: dir, maxBuffer: 64 << 20 });

async function repository(c) {
  const dir = join(cache, 'repos', `${slug(c.package)}@${c.base}..${c.head}`);
  if (existsSync(join(dir, '.git', 'driftguard-eval-ready'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [older, newer] = await Promise.all([tarball(c.package, c.base), tarball(c.package, c.head)]);
  await git(dir, 'init', '-q', '-b', 'main');
  await unpack(older, dir);
  await git(dir, 'add', '-A', '-f');
  await git(dir, 'commit', '-q', '--allow-empty', '-m', `${c.package}@${c.base}`);
  await git(dir, 'checkout', '-q', '-b', 'head');
  await unpack(newer, dir);
  await git(dir, 'add', '-A', '-f');
  await git(dir, 'commit', '-q', '--allow-empty', '-m', `${c.package}@${c.head}`);
  writeFileSync(join(dir, '.git', 'driftguard-eval-ready'), '');
  return dir;
}

const policyFile = join(cache, 'policy.yaml');
function writePolicy() {
  mkdirSync(cache, { recursive: true });
  writeFileSync(
    policyFile,
    [
      'version: 1',
      'dry_run: true',
      `audit: { dir: ${JSON.stringify(join(cache, 'audit'))} }`,
      'workflows:',
      '  pr_opened: [doc_sync]',
      'modules:',
      '  doc_sync:',
      '    timeout: 5m',
      '    docs: ["**/*.md"]',
      '    max_findings: 10000',
      '    ai: { enabled: false }',
      '',
    ].join('\n'),
  );
}

async function check(dir) {
  const started = Date.now();
  let stdout;
  try {
    ({ stdout } = await run(process.execPath, [cli, 'run', '--event', 'pr_opened', '--dry-run', '--format', 'json', '--policy', policyFile, '--base', 'main', '--head', 'head', '--log-level', 'error'], {
      cwd: dir,
      maxBuffer: 256 << 20,
      env: { ...process.env, GITHUB_ACTIONS: '', GITHUB_TOKEN: '', GEMINI_API_KEY: '' },
    }));
  } catch (err) {
    if (err.code !== 1) throw new Error(`driftguard failed (exit ${err.code}): ${String(err.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    stdout = err.stdout;
  }
  const report = JSON.parse(stdout);
  const steps = report.steps ?? report.results ?? [];
  const step = steps.find((s) => (s.module ?? s.id ?? s.step) === 'doc_sync') ?? steps[0];
  if (!step) throw new Error('no doc_sync step in the report');
  const outcome = step.outcome ?? step;
  if (step.verdict === 'error') throw new Error(`doc_sync errored: ${outcome.summary ?? step.error ?? ''}`);
  return { findings: (outcome.findings ?? []).map((f) => ({ name: f.title, file: f.file, line: f.line, rule: f.rule })), ms: Date.now() - started };
}

async function score(c) {
  const dir = await repository(c);
  const { findings, ms } = await check(dir);
  const documented = new Set(c.documented ?? []);
  const dynamic = new Set(c.dynamic ?? []);
  const expected = new Set((c.added ?? []).filter((n) => !documented.has(n) && !dynamic.has(n)));
  const found = new Set(findings.map((f) => f.name).filter((n) => !dynamic.has(n)));
  const tp = [...found].filter((n) => expected.has(n));
  const fp = [...found].filter((n) => !expected.has(n));
  const fn = [...expected].filter((n) => !found.has(n));
  return { c, tp, fp, fn, findings, ms };
}

async function pool(items, size, work) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]).catch((err) => ({ c: items[i], error: err.message }));
      }
    }),
  );
  return out;
}

writePolicy();
const results = await pool(selected, jobs, score);
let tp = 0, fp = 0, fn = 0, errors = 0;
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('case', 40)} ${pad('tp', 3)} ${pad('fp', 3)} ${pad('fn', 3)} details`);
for (const r of results) {
  const name = `${r.c.package}@${r.c.base}..${r.c.head}`;
  if (r.error) {
    errors++;
    console.log(`${pad(name, 40)} ERROR ${r.error}`);
    continue;
  }
  tp += r.tp.length;
  fp += r.fp.length;
  fn += r.fn.length;
  const details = [r.fn.length ? `missed ${r.fn.join(' ')}` : '', r.fp.length ? `false ${r.fp.join(' ')}` : ''].filter(Boolean).join('; ');
  console.log(`${pad(name, 40)} ${pad(r.tp.length, 3)} ${pad(r.fp.length, 3)} ${pad(r.fn.length, 3)} ${details} (${r.ms} ms)`);
  if (verbose) for (const f of r.findings) console.log(`    ${f.name} ${f.file}:${f.line} ${f.rule}`);
}
const splits = [...new Set(results.map((r) => r.c.split ?? 'development'))];
if (splits.length > 1) {
  for (const split of splits) {
    const part = results.filter((r) => !r.error && (r.c.split ?? 'development') === split);
    const [t, p, n] = ['tp', 'fp', 'fn'].map((k) => part.reduce((sum, r) => sum + r[k].length, 0));
    console.log(`${split}: ${part.length} cases, recall ${(t + n ? t / (t + n) : 1).toFixed(3)}, precision ${(t + p ? t / (t + p) : 1).toFixed(3)}`);
  }
}
const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
console.log(`\n${results.length} cases, ${tp + fn} undocumented names: found ${tp}, missed ${fn}, ${fp} false${errors ? `, ${errors} cases errored` : ''}`);
console.log(`recall ${recall.toFixed(3)}  precision ${precision.toFixed(3)}`);
if (min !== undefined && (errors > 0 || recall < min || precision < min)) {
  console.error(`below target: recall and precision must be at least ${min}${errors ? ' and no case may error' : ''}`);
  process.exit(1);
}
