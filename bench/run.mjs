// DriftGuard benchmarks. Every figure is a ratio against a baseline measured in the same run on
// the same machine, so results compare across machines.
// Usage: npm run bench [-- --pr-mb N] [--runs N] [--only cold|danger|pr|janitor|report|standards[,...]]
//   --pr-mb N   size of the large pull request of section 2, in MiB (default 200; 20 for a quick run)
//   --runs N    samples per median in section 1 (default 15)
//   --only ...  run only the named sections (janitor-a: the janitor's (a) alone)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { makePrRepo } from './pr-repo.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const prMb = Number(option('--pr-mb', process.env.BENCH_PR_MB ?? 200));
const runs = Number(option('--runs', process.env.BENCH_RUNS ?? 15));
const only = option('--only', undefined)?.split(',');
const wanted = (section) => !only || only.includes(section);
if (!(prMb > 0) || !(runs > 0)) throw new Error('usage: node bench/run.mjs [--pr-mb N] [--runs N] [--only cold,danger,pr,janitor,janitor-a,report,standards]');
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'bin', 'driftguard.js');
const work = mkdtempSync(join(tmpdir(), 'dg-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function time(command, argv, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, status: result.status, stdout: result.stdout?.toString() ?? '', stderr: result.stderr?.toString() ?? '' };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function check(label, r, expectStatus, expectOutput) {
  if (expectStatus !== undefined && r.status !== expectStatus) throw new Error(`${label}: exit ${r.status}, expected ${expectStatus}\n${r.stderr.slice(0, 2000)}`);
  if (expectOutput && !expectOutput.test(r.stdout)) throw new Error(`${label}: output does not match ${expectOutput}\n${r.stdout.slice(0, 2000)}`);
}

function measure(label, command, argv, options, expectStatus) {
  time(command, argv, options); // warm the file cache
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = time(command, argv, options);
    check(label, r, expectStatus);
    samples.push(r.ms);
  }
  return median(samples);
}

/** Several commands measured in turns (A B A B ...), so a slow moment of the machine hits all of them alike. */
function interleaved(commands) {
  for (const c of commands) {
    c.before?.();
    check(c.label, time(c.command, c.argv, c.options), c.status, c.output); // warm up, and prove each one finds what it should
  }
  const samples = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    commands.forEach((c, j) => {
      c.before?.(); // not timed
      const r = time(c.command, c.argv, c.options);
      check(c.label, r, c.status);
      samples[j].push(r.ms);
    });
  }
  return samples.map(median);
}

const report = [];
function line(text) {
  report.push(text);
  console.log(text);
}

// DriftGuard keeps V8's compiled code of its bundle between runs (bin/code-cache.js), here in a
// folder of the bench's own; each figure's warm-up run fills it. A "first run" starts with that
// folder empty, as on a fresh machine or with a new version, and pays for writing the cache.
const checkEnv = { ...process.env, GEMINI_API_KEY: '', XDG_CACHE_HOME: join(work, 'cache') };
delete checkEnv.NODE_COMPILE_CACHE;
delete checkEnv.NODE_DISABLE_COMPILE_CACHE;
delete checkEnv.RUNNER_ENVIRONMENT;
const firstRunCache = join(work, 'first-run-cache');
const firstRunEnv = { ...checkEnv, XDG_CACHE_HOME: firstRunCache };
const emptyCache = () => rmSync(firstRunCache, { recursive: true, force: true });
const prCheckArgs = [cli, 'run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--log-level', 'error'];
const demoDir = join(work, 'repo');
execFileSync(process.execPath, [cli, 'demo', '--dir', demoDir], { stdio: 'ignore' });

// 1. Cold start, as a ratio to the floor of starting Node at all.
if (wanted('cold')) {
  const floor = measure('node -e 0', process.execPath, ['-e', '0']);
  const [validate, validateFirst, prCheck, prCheckFirst] = interleaved([
    { label: 'validate', command: process.execPath, argv: [cli, 'validate', '--policy', join(root, 'policy.yaml')], options: { env: checkEnv }, status: 0 },
    { label: 'validate (first run)', command: process.execPath, argv: [cli, 'validate', '--policy', join(root, 'policy.yaml')], options: { env: firstRunEnv }, status: 0, before: emptyCache },
    { label: 'run pr_opened', command: process.execPath, argv: prCheckArgs, options: { cwd: demoDir, env: checkEnv }, status: 1 },
    { label: 'run pr_opened (first run)', command: process.execPath, argv: prCheckArgs, options: { cwd: demoDir, env: firstRunEnv }, status: 1, before: emptyCache },
  ]);
  line(`cold start (median of ${runs}): node -e 0 ${floor.toFixed(1)} ms; "first run": no code cache yet (it is written at exit)`);
  line(`  driftguard validate               ${validate.toFixed(1)} ms  = ${(validate / floor).toFixed(2)}x node (target <= 3x); first run ${validateFirst.toFixed(1)} ms = ${(validateFirst / floor).toFixed(2)}x`);
  line(`  driftguard run pr_opened dry-run  ${prCheck.toFixed(1)} ms  = ${(prCheck / floor).toFixed(2)}x node (target <= 5x); first run ${prCheckFirst.toFixed(1)} ms = ${(prCheckFirst / floor).toFixed(2)}x`);
}

// 1a. The PR check on the demo repository against `danger local` with a Dangerfile of the same one
// rule (bench/dangerfile.js), in turns, in the same repository. Danger is started through its own
// entry point, as npx would after resolving it, so npx's start-up is not counted against it.
if (wanted('danger')) {
  const danger = join(root, 'node_modules', 'danger', 'distribution', 'commands', 'danger.js');
  if (!existsSync(danger)) {
    line('driftguard vs danger: danger is not installed (npm ci) - skipped');
  } else {
    const [dg, dgFirst, dangerMs] = interleaved([
      { label: 'driftguard run pr_opened', command: process.execPath, argv: prCheckArgs, options: { cwd: demoDir, env: checkEnv }, status: 1, output: /RETRY_BUDGET_MS/ },
      { label: 'driftguard run pr_opened (first run)', command: process.execPath, argv: prCheckArgs, options: { cwd: demoDir, env: firstRunEnv }, status: 1, output: /RETRY_BUDGET_MS/, before: emptyCache },
      { label: 'danger local', command: process.execPath, argv: [danger, 'local', '--dangerfile', join(root, 'bench', 'dangerfile.js'), '--base', 'main'], options: { cwd: demoDir }, status: 0, output: /RETRY_BUDGET_MS/ },
    ]);
    line(`driftguard vs danger on the demo PR (one rule: new process.env reads not in the *.md docs; median of ${runs}, in turns):`);
    line(`  driftguard run pr_opened --dry-run ${dg.toFixed(0)} ms, danger local ${dangerMs.toFixed(0)} ms = ${(dg / dangerMs).toFixed(2)}x danger's wall time (target <= 0.35x)`);
    line(`  first run (no code cache yet, written at exit): ${dgFirst.toFixed(0)} ms = ${(dgFirst / dangerMs).toFixed(2)}x`);
  }
}

// 2. A pull request of many megabytes of changed JS/TS files in a real git repository: the dry-run
// PR check's throughput and peak RSS, against `git diff main...feature > /dev/null` as the floor.
if (wanted('pr')) {
  const prDir = join(work, 'large-pr');
  const policyText = readFileSync(join(demoDir, 'policy.yaml'), 'utf8').replace(/^dry_run: .*$/m, 'dry_run: true');
  const built = await makePrRepo(prDir, prMb, policyText);
  const mb = built.bytes / 1024 / 1024;
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const rssFile = join(work, 'rss');
  const run = timeBin
    ? time(timeBin, ['-f', '%M', '-o', rssFile, process.execPath, ...prCheckArgs, '--format', 'json'], { cwd: prDir, env: checkEnv })
    : time(process.execPath, [...prCheckArgs, '--format', 'json'], { cwd: prDir, env: checkEnv });
  check('driftguard run pr_opened (large PR)', run, 1);
  const found = built.undocumented.filter((name) => run.stdout.includes(name)).length;
  if (found !== built.undocumented.length) throw new Error(`large PR: ${found} of ${built.undocumented.length} undocumented names reported`);
  const rssMb = timeBin ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 : NaN;
  const floorSamples = [];
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', 'git diff main...feature > /dev/null'], { cwd: prDir, stdio: 'ignore' });
    if (r.status !== 0) throw new Error('git diff main...feature failed');
    floorSamples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const floor = median(floorSamples);
  line(`PR check on a ${mb.toFixed(0)} MB pull request (${built.files} changed JS/TS files, 1 in 15 reading the environment, ${built.undocumented.length} new undocumented names, all found):`);
  line(`  driftguard ${(run.ms / 1000).toFixed(1)} s = ${(mb / (run.ms / 1000)).toFixed(1)} MB/s; git diff main...feature > /dev/null ${(floor / 1000).toFixed(2)} s = ${(mb / (floor / 1000)).toFixed(0)} MB/s; driftguard / git diff = ${(run.ms / floor).toFixed(1)}x`);
  line(`  peak RSS ${timeBin ? `${rssMb.toFixed(0)} MB (largest process of the run, /usr/bin/time)` : 'not measured (/usr/bin/time missing)'} (target <= 200 MB)`);
}

if (wanted('janitor') || wanted('janitor-a')) {
  // 3. The janitor on moto_server (bench/moto-server.py counts the requests it serves): against a
  // raw @aws-sdk/client-s3 loop on the same server, requests per bucket at two sizes, a dry-run plan
  // over 10,000 buckets in a process of its own.
  const janitorEntry = join(root, 'bench', '.out', 'janitor.mjs');
  await build({ entryPoints: [join(root, 'bench', 'janitor-entry.ts')], outfile: janitorEntry, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', packages: 'external',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const janitorRun = spawnSync(process.execPath, [janitorEntry], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...(only?.includes('janitor-a') ? { BENCH_JANITOR: 'a' } : {}) } });
  if (janitorRun.status !== 0) throw new Error('janitor bench failed');
  const jb = JSON.parse(janitorRun.stdout.toString());
  const ratio = jb.rawMs / jb.janitorMs;
  line(`janitor (a): ${jb.expired} expired buckets x ${jb.objects} objects plus ${jb.protected} protected, on moto_server: janitor ${(jb.janitorMs / 1000).toFixed(2)} s, raw client-s3 loop (16 at once, no checks) ${(jb.rawMs / 1000).toFixed(2)} s (best of ${jb.rounds.length})`);
  line(`  janitor throughput / raw loop = ${ratio.toFixed(2)}x (target >= 0.7x)`);
  const ops = (o) => `${Object.values(o).reduce((a, b) => a + b, 0).toFixed(2)} (${Object.entries(o).map(([op, n]) => `${op} ${n.toFixed(2)}`).join(', ')})`;
  line(`  requests per expired bucket: janitor ${ops(jb.janitorOps)}`);
  line(`                               raw loop ${ops(jb.rawOps)}`);
  line(`  client CPU per expired bucket (this process, SDK included): janitor ${jb.janitorCpu.toFixed(1)} ms, raw loop ${jb.rawCpu.toFixed(1)} ms`);
  if (jb.perBucket) {
    line(`janitor (b): requests per bucket, live run: ${Object.entries(jb.perBucket).map(([n, r]) => `${Number(r).toFixed(2)} at ${n} buckets`).join(', ')} (target: constant)`);
    line(`janitor (c): dry-run plan over ${jb.plan.buckets} buckets: ${(jb.plan.ms / 1000).toFixed(1)} s, ${jb.plan.requestsPerBucket.toFixed(2)} requests per bucket (target <= 2), peak RSS ${jb.plan.peakRssMb.toFixed(0)} MB (target <= 200 MB), ${jb.plan.listed} listed, ${jb.plan.eligible} eligible`);
  }
}

// 4. driftguard report over 10,000 audit artifacts: copies of the real artifact the demo's PR check
// left (each its own run, repository and day), plus junk it must skip. The floor is
// reading and parsing every file in one plain Node loop.
if (wanted('report')) {
  const auditDir = join(work, 'report-audit');
  mkdirSync(join(auditDir, 'runs'), { recursive: true });
  const made = readdirSync(join(demoDir, '.artifacts')).filter((f) => f.startsWith('driftguard-pr_opened-'));
  if (made.length === 0) throw new Error('report bench: the demo PR check left no audit artifact');
  const real = JSON.parse(readFileSync(join(demoDir, '.artifacts', made[0]), 'utf8'));
  const count = 10_000;
  const day = 86_400_000;
  const start = Date.now() - 90 * day;
  for (let i = 0; i < count; i++) {
    const at = new Date(start + Math.floor((i / count) * 90 * day)).toISOString();
    const record = { ...real, runId: `bench-${i}`, repository: `acme/service-${i % 40}`, startedAt: at, finishedAt: at, outcome: i % 7 === 0 ? 'pass' : 'blocked' };
    writeFileSync(join(auditDir, 'runs', `driftguard-pr_opened-bench-${i}.json`), JSON.stringify(record, null, 2));
  }
  for (let i = 0; i < 50; i++) writeFileSync(join(auditDir, `junk-${i}.json`), i % 2 ? '{"cut": ' : '{"name": "not ours"}');
  const bytes = readdirSync(join(auditDir, 'runs')).reduce((sum, f) => sum + statSync(join(auditDir, 'runs', f)).size, 0);
  const out = join(work, 'report.html');
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const rssFile = join(work, 'report-rss');
  const argv = [cli, 'report', '--audit-dir', auditDir, '--out', out];
  const floorScript = `const fs=require('fs'),p=require('path');let n=0;for(const d of [process.argv[1],p.join(process.argv[1],'runs')])for(const f of fs.readdirSync(d)){if(!f.endsWith('.json'))continue;try{JSON.parse(fs.readFileSync(p.join(d,f),'utf8'));n++}catch{}}`;
  const samples = [];
  const floors = [];
  for (let i = 0; i < 3; i++) {
    const r = timeBin ? time(timeBin, ['-f', '%M', '-o', rssFile, process.execPath, ...argv]) : time(process.execPath, argv);
    check('driftguard report', r, 0, new RegExp(`: ${count} runs, 0 janitor journals; skipped 25 malformed, 25 not DriftGuard's`));
    samples.push(r.ms);
    floors.push(time(process.execPath, ['-e', floorScript, auditDir]).ms);
  }
  const ms = median(samples);
  const floor = median(floors);
  const rssMb = timeBin ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 : NaN;
  line(`report: ${count} audit artifacts (${(bytes / 1024 / 1024).toFixed(0)} MB, plus 50 junk files skipped) -> one HTML file of ${(statSync(out).size / 1024).toFixed(0)} KiB:`);
  line(`  driftguard report ${(ms / 1000).toFixed(2)} s (median of 3) = ${(ms / count).toFixed(3)} ms per artifact; read + JSON.parse floor ${(floor / 1000).toFixed(2)} s; report / floor = ${(ms / floor).toFixed(2)}x; peak RSS ${timeBin ? `${rssMb.toFixed(0)} MB` : 'not measured'}`);
}

if (wanted('standards')) {
  // 5. `driftguard standards scan` over an organisation of 1,000 repositories on the loopback GitHub
  // server (bench/standards-entry.ts): requests per repository and wall time of a first scan, of a
  // second scan with nothing changed, and of a full rescan with the warm ETag cache.
  const entry = join(root, 'bench', '.out', 'standards.mjs');
  await build({ entryPoints: [join(root, 'bench', 'standards-entry.ts')], outfile: entry, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', packages: 'external',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const r = spawnSync(process.execPath, [entry], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error('standards bench failed');
  const sb = JSON.parse(r.stdout.toString());
  const live = sb.repos - sb.archived;
  const row = (name, x) => `  ${name}: ${(x.ms / 1000).toFixed(1)} s, ${x.requests} requests = ${(x.requests / live).toFixed(2)} per repository (${x.writes} writes, ${x.notModified} answered 304 from the ETag cache); ${x.scanned} scanned, ${x.unchanged} unchanged, ${x.outOfScope} out of scope`;
  line(`standards scan of an organisation of ${sb.repos} repositories (${sb.archived} archived, never read) on the loopback GitHub server:`);
  line(row('first scan (no ledger, no cache)', sb.first));
  line(row('second scan, nothing changed (only_changed)', sb.second));
  line(row('full rescan after 5% changed (only_changed: false, warm ETag cache)', sb.full));
  line(`  second scan / first scan requests = ${(sb.second.requests / sb.first.requests).toFixed(2)}x; 304 share of the full rescan = ${(sb.full.notModified / sb.full.requests * 100).toFixed(0)}%`);
}
