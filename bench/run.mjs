// DriftGuard benchmarks. Every figure is a ratio against a baseline measured in the same run on
// the same machine, so results compare across machines. Usage: npm run bench [-- --diff-mb N]
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const diffMb = Number(args[args.indexOf('--diff-mb') + 1] ?? NaN) || Number(process.env.BENCH_DIFF_MB ?? 200);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'bin', 'driftguard.js');
const work = mkdtempSync(join(tmpdir(), 'dg-bench-'));

function time(command, argv, options = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, status: result.status, stdout: result.stdout?.toString() ?? '' };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, command, argv, options, expectStatus) {
  time(command, argv, options); // warm the file cache
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = time(command, argv, options);
    if (expectStatus !== undefined && r.status !== expectStatus) throw new Error(`${label}: exit ${r.status}, expected ${expectStatus}`);
    samples.push(r.ms);
  }
  return median(samples);
}

const report = [];
function line(text) {
  report.push(text);
  console.log(text);
}

// 1. Cold start, as a ratio to the floor of starting Node at all.
const floor = measure('node -e 0', process.execPath, ['-e', '0']);
const validate = measure('validate', process.execPath, [cli, 'validate', '--policy', join(root, 'policy.yaml')], {}, 0);
const demoDir = join(work, 'repo');
execFileSync(process.execPath, [cli, 'demo', '--dir', demoDir], { stdio: 'ignore' });
const prCheck = measure('run pr_opened', process.execPath, [cli, 'run', '--event', 'pr_opened', '--base', 'main', '--dry-run', '--log-level', 'error'], { cwd: demoDir, env: { ...process.env, GEMINI_API_KEY: '' } }, 1);
line(`cold start (median of ${runs}): node -e 0 ${floor.toFixed(1)} ms`);
line(`  driftguard validate               ${validate.toFixed(1)} ms  = ${(validate / floor).toFixed(2)}x node (target <= 3x)`);
line(`  driftguard run pr_opened dry-run  ${prCheck.toFixed(1)} ms  = ${(prCheck / floor).toFixed(2)}x node (target <= 5x)`);

// 2. The doc-sync guard over a large diff, against ripgrep with the same patterns on the same file.
const diffPath = join(work, 'big.diff');
await new Promise((resolve, reject) => {
  const out = createWriteStream(diffPath);
  out.on('error', reject);
  let bytes = 0;
  let file = 0;
  const target = diffMb * 1024 * 1024;
  const write = () => {
    let ok = true;
    while (bytes < target && ok) {
      const lines = [`diff --git a/src/mod${file}.ts b/src/mod${file}.ts`, '--- a/src/mod' + file + '.ts', '+++ b/src/mod' + file + '.ts', '@@ -1,2 +1,202 @@', ' import x from "y";'];
      for (let i = 0; i < 200; i++) {
        lines.push(i % 50 === 0 ? `+export const v${i} = process.env.SETTING_${file % 1000}_${i} ?? "default";` : `+export function handler${i}(request, response) { return response.send(request.body.value${i}); }`);
      }
      lines.push(' export default x;');
      const chunk = lines.join('\n') + '\n';
      bytes += chunk.length;
      file++;
      ok = out.write(chunk);
    }
    if (bytes >= target) out.end(resolve);
    else out.once('drain', write);
  };
  write();
});
const size = statSync(diffPath).size / 1024 / 1024;
const entry = join(work, 'guard.mjs');
await build({ entryPoints: [join(root, 'bench', 'guard-entry.ts')], outfile: entry, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
const guardRun = time(process.execPath, [entry, diffPath]);
const guard = JSON.parse(guardRun.stdout);
line(`doc-sync guard over a ${size.toFixed(0)} MB diff: ${guard.ms.toFixed(0)} ms, ${(size / (guard.ms / 1000)).toFixed(0)} MB/s, ${guard.hits} hits, peak RSS ${guard.maxRssMb.toFixed(0)} MB`);
const rgPath = spawnSync('rg', ['--version']).status === 0 ? 'rg' : undefined;
if (rgPath) {
  const patterns = ['process\\.env\\??\\.[A-Z_][A-Z0-9_]*', 'process\\.env(\\?\\.)?\\[\\s*[\'"`][A-Z_][A-Z0-9_]*', 'import\\.meta\\.env\\??\\.[A-Z_][A-Z0-9_]*', 'Deno\\.env\\.get\\(', 'Bun\\.env'];
  const rg = time('rg', ['--no-config', '-c', ...patterns.flatMap((p) => ['-e', p]), diffPath]);
  line(`  ripgrep, same patterns, same file: ${rg.ms.toFixed(0)} ms; guard / rg = ${(guard.ms / rg.ms).toFixed(1)}x (the guard also parses the diff, tracks line numbers and files)`);
} else {
  line('  ripgrep not found (apt-get install ripgrep) - ratio skipped');
}
// 3. The janitor on moto_server (bench/moto-server.py counts the requests it serves): against a
// raw @aws-sdk/client-s3 loop on the same server, requests per bucket at two sizes, a dry-run plan
// over 10,000 buckets in a process of its own.
const janitorEntry = join(root, 'bench', '.out', 'janitor.mjs');
await build({ entryPoints: [join(root, 'bench', 'janitor-entry.ts')], outfile: janitorEntry, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', packages: 'external',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
const janitorRun = spawnSync(process.execPath, [janitorEntry], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
if (janitorRun.status !== 0) throw new Error('janitor bench failed');
const jb = JSON.parse(janitorRun.stdout.toString());
const ratio = jb.rawMs / jb.janitorMs;
line(`janitor (a): ${jb.expired} expired buckets x ${jb.objects} objects plus ${jb.protected} protected, on moto_server: janitor ${(jb.janitorMs / 1000).toFixed(2)} s, raw client-s3 loop (16 at once, no checks) ${(jb.rawMs / 1000).toFixed(2)} s (best of ${jb.rounds.length})`);
line(`  janitor throughput / raw loop = ${ratio.toFixed(2)}x (target >= 0.7x)`);
line(`janitor (b): requests per bucket, live run: ${Object.entries(jb.perBucket).map(([n, r]) => `${Number(r).toFixed(2)} at ${n} buckets`).join(', ')} (target: constant)`);
line(`janitor (c): dry-run plan over ${jb.plan.buckets} buckets: ${(jb.plan.ms / 1000).toFixed(1)} s, ${jb.plan.requestsPerBucket.toFixed(2)} requests per bucket (target <= 2), peak RSS ${jb.plan.peakRssMb.toFixed(0)} MB (target <= 200 MB), ${jb.plan.listed} listed, ${jb.plan.eligible} eligible`);
rmSync(work, { recursive: true, force: true });
