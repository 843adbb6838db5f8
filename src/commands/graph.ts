import type { ParsedArgs } from '../main.ts';
import { buildMachine } from '../engine.ts';
import { ExitCode } from '../errors.ts';
import { toMermaid } from '../graph.ts';
import { parseEventName } from '../intake.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { loadPolicyFor } from './shared.ts';

export default async function graph(args: ParsedArgs): Promise<number> {
  const { policy } = await loadPolicyFor(args, process.env);
  const event = typeof args.values.event === 'string' ? parseEventName(args.values.event) : undefined;
  process.stdout.write(toMermaid(buildMachine(policy, REGISTRY), { event }));
  return ExitCode.pass;
}
