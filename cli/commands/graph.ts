import type { ParsedArgs } from '../args.ts';
import { buildMachine } from '../../src/engine.ts';
import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import { toMermaid } from '../../src/graph.ts';
import { parseEventName } from '../../src/intake.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { loadPolicyFor } from './shared.ts';

export default async function graph(args: ParsedArgs): Promise<number> {
  const { policy } = await loadPolicyFor(args, process.env);
  const event = typeof args.values.event === 'string' ? parseEventName(args.values.event) : undefined;
  const format = args.values.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'markdown') throw new DriftGuardError('usage', `--format must be mermaid or markdown, got "${String(format)}"`);
  const diagram = toMermaid(buildMachine(policy, REGISTRY), { event });
  process.stdout.write(format === 'markdown' ? `\`\`\`mermaid\n${diagram}\`\`\`\n` : diagram);
  return ExitCode.pass;
}
