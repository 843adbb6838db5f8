import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { ParsedArgs } from '../args.ts';
import { ExitCode } from '../../src/errors.ts';
import { inertCode, inertText } from '../../src/report/inert.ts';

/** `driftguard report`: the governance dashboard, one static HTML file built from the audit folder. */
export default async function report(args: ParsedArgs): Promise<number> {
  const { buildReport } = await import('../../src/dashboard/build-report.ts');
  const result = await buildReport({
    auditDir: typeof args.values['audit-dir'] === 'string' ? args.values['audit-dir'] : '.artifacts',
    out: typeof args.values.out === 'string' ? args.values.out : 'report.html',
    since: typeof args.values.since === 'string' ? args.values.since : undefined,
    now: new Date(),
  });
  const c = result.model.counts;
  const skipped = [c.malformed && `${c.malformed} malformed`, c.foreign && `${c.foreign} not DriftGuard's`, c.unreadable && `${c.unreadable} unreadable`, c.outOfRange && `${c.outOfRange} before --since`].filter(Boolean);
  if (!args.values.quiet) {
    process.stdout.write(`${inertText(result.out)}: ${c.artifacts} runs, ${c.journals} janitor journals${skipped.length ? `; skipped ${skipped.join(', ')}` : ''} (${Math.round(result.bytes / 1024)} KiB)\n`);
  }
  // In GitHub Actions, the job summary says where the dashboard is (the workflow uploads it with the audit folder).
  const env = process.env;
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_STEP_SUMMARY) {
    const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}#artifacts` : undefined;
    const where = relative(process.cwd(), result.out) || result.out;
    const line = `### DriftGuard report\n\nThe governance dashboard ${inertCode(where)} (${c.artifacts} runs, ${c.journals} janitor journals) is attached to ${runUrl ? `[this run's artifacts](${runUrl})` : "this run's artifacts"}, next to the audit artifacts it links to.\n\n`;
    try {
      appendFileSync(env.GITHUB_STEP_SUMMARY, line);
    } catch {
      process.stderr.write('driftguard: the job summary could not be written\n');
    }
  }
  return ExitCode.pass;
}
