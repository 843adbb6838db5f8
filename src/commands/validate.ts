import type { ParsedArgs } from '../main.ts';
import { ExitCode } from '../errors.ts';
import { loadPolicyFor } from './shared.ts';

export default async function validate(args: ParsedArgs): Promise<number> {
  const loaded = await loadPolicyFor(args, process.env);
  const workflows = Object.entries(loaded.policy.workflows)
    .map(([event, steps]) => `${event}: ${steps.join(' -> ') || '(no steps)'}`)
    .join('; ');
  process.stdout.write(`${loaded.file}: valid policy${workflows ? ` (${workflows})` : ''}\n`);
  return ExitCode.pass;
}
