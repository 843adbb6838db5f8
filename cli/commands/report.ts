import type { ParsedArgs } from '../args.ts';
import { ExitCode } from '../../src/errors.ts';
import { inertText } from '../../src/report/inert.ts';

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
  return ExitCode.pass;
}
