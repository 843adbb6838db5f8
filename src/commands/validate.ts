import type { ParsedArgs } from '../main.ts';
import { ExitCode } from '../errors.ts';
import { loadPolicyFor } from './shared.ts';

export default async function validate(args: ParsedArgs): Promise<number> {
  const loaded = await loadPolicyFor(args, process.env);
  const workflows = Object.entries(loaded.policy.workflows)
    .map(([event, steps]) => `${event}: ${steps.join(' -> ') || '(no steps)'}`)
    .join('; ');
  for (const warning of loaded.warnings) process.stderr.write(`${warning}\n`);
  process.stdout.write(`${loaded.file}: valid policy${workflows ? ` (${workflows})` : ''}${loaded.warnings.length ? ` with ${loaded.warnings.length} warning${loaded.warnings.length > 1 ? 's' : ''}` : ''}\n`);
  return ExitCode.pass;
}
