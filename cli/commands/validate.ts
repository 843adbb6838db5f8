import type { ParsedArgs } from '../args.ts';
import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import { loadPolicyFor } from './shared.ts';

/** `driftguard validate [FILE]`: the policy file as an argument, or `--policy`, or the one found. */
export default async function validate(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 1) throw new DriftGuardError('usage', `validate takes one policy file, got ${args.positionals.length}\nusage: driftguard validate [FILE | --policy FILE]`);
  if (args.positionals.length === 1 && args.values.policy !== undefined) throw new DriftGuardError('usage', 'give the policy file once: as an argument or with --policy, not both');
  const loaded = await loadPolicyFor(args.positionals.length === 1 ? { ...args, values: { ...args.values, policy: args.positionals[0] } } : args, process.env);
  const workflows = Object.entries(loaded.policy.workflows)
    .map(([event, steps]) => `${event}: ${steps.join(' -> ') || '(no steps)'}`)
    .join('; ');
  const lifecycles = Object.entries(loaded.policy.lifecycles ?? {}).map(([name, l]) => `${name} (${Object.keys(l.states).length} states)`);
  for (const warning of loaded.warnings) process.stderr.write(`${warning}\n`);
  process.stdout.write(`${loaded.file}: valid policy${workflows ? ` (${workflows})` : ''}${lifecycles.length ? `; lifecycles: ${lifecycles.join(', ')}` : ''}${loaded.warnings.length ? ` with ${loaded.warnings.length} warning${loaded.warnings.length > 1 ? 's' : ''}` : ''}\n`);
  return ExitCode.pass;
}
