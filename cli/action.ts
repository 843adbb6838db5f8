import { appendFileSync, existsSync } from 'node:fs';
import { startParserThread, stopParserThread } from '../modules/doc-sync/js-pool.ts';
import { runCommandLine } from './main.ts';

/** Inputs arrive as INPUT_<NAME> (upper-cased, spaces as underscores, dashes kept). */
function input(name: string): string | undefined {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]?.trim();
  return value ? value : undefined;
}

const VERDICTS: Record<number, string> = { 0: 'pass', 1: 'blocked', 2: 'invalid', 3: 'error' };

/** The GitHub Action: its inputs become a `driftguard run` (or `publish`, `lifecycle`, `report`) command line; the verdict an output. */
async function action(): Promise<void> {
  const command = input('command') ?? 'run';
  if (!['run', 'publish', 'lifecycle', 'report'].includes(command)) {
    process.stderr.write(`driftguard: the command input must be "run", "publish", "lifecycle" or "report", got "${command}"\n`);
    process.exitCode = 2;
    return;
  }
  if (command === 'report') {
    // The dashboard of the audit folder, written into it so that the uploaded artifact's links work.
    const since = input('since');
    process.exitCode = await runCommandLine(['report', '--audit-dir', input('audit-dir') ?? '.artifacts', '--out', input('out') ?? '.artifacts/report.html', ...(since ? ['--since', since] : [])]);
    return;
  }
  const argv = [command];
  const event = command === 'run' ? input('event') : undefined;
  // A pull request check parses the changed JS/TS files: the parser thread compiles the parser on
  // another core while this one loads the policy and reads the change.
  const parser = new URL('./js-worker.js', import.meta.url);
  if (command === 'run' && (event ? /^pr_(opened|synchronize|reopened)$/.test(event) : /^pull_request/.test(process.env.GITHUB_EVENT_NAME ?? '')) && existsSync(parser)) await startParserThread(parser);
  if (event) argv.push('--event', event);
  argv.push('--policy', input('policy') ?? 'policy.yaml');
  const dryRun = input('dry-run') ?? 'true';
  if (!['true', 'false'].includes(dryRun)) {
    process.stderr.write(`driftguard: the dry-run input must be "true" or "false", got "${dryRun}"\n`);
    process.exitCode = 2;
    return;
  }
  if (dryRun === 'true') argv.push('--dry-run');
  const names = command === 'run' ? ['format', 'shard', 'provider', 'region', 'environment', 'base', 'head', 'verdict-dir'] : command === 'publish' ? ['format', 'run-id'] : [];
  for (const name of names) {
    const value = input(name);
    if (value) argv.push(`--${name}`, value);
  }
  const code = await runCommandLine(argv);
  stopParserThread();
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `verdict=${VERDICTS[code] ?? 'error'}\nexit-code=${code}\n`);
  // Where the verdict is published as checks, a blocked pull request need not fail the job too.
  process.exitCode = code === 1 && input('fail-on-blocked') === 'false' ? 0 : code;
}

void action();
