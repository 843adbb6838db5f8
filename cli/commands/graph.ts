import type { ParsedArgs } from '../args.ts';
import { buildMachine } from '../../src/engine.ts';
import { DriftGuardError, ExitCode } from '../../src/errors.ts';
import { toMermaid } from '../../src/graph.ts';
import { parseEventName } from '../../src/intake.ts';
import { REGISTRY } from '../../modules/registry.ts';
import { didYouMean } from '../../src/suggest.ts';
import { loadPolicyFor } from './shared.ts';

export default async function graph(args: ParsedArgs): Promise<number> {
  const { policy } = await loadPolicyFor(args, process.env);
  const event = typeof args.values.event === 'string' ? parseEventName(args.values.event) : undefined;
  const format = args.values.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'markdown') throw new DriftGuardError('usage', `--format must be mermaid or markdown, got "${String(format)}"`);
  const lifecycleName = args.values.lifecycle;
  let machine;
  if (typeof lifecycleName === 'string') {
    if (event) throw new DriftGuardError('usage', '--lifecycle and --event cannot be used together');
    const lifecycle = policy.lifecycles[lifecycleName];
    if (!lifecycle) {
      const names = Object.keys(policy.lifecycles);
      throw new DriftGuardError('usage', `--lifecycle ${lifecycleName}: the policy declares no such lifecycle${didYouMean(lifecycleName, names)}; it declares ${names.join(', ') || 'none'}`);
    }
    const { buildLifecycleMachine } = await import('../../src/lifecycle/machine.ts');
    machine = buildLifecycleMachine(lifecycle);
  } else machine = buildMachine(policy, REGISTRY);
  const diagram = toMermaid(machine, { event });
  process.stdout.write(format === 'markdown' ? `\`\`\`mermaid\n${diagram}\`\`\`\n` : diagram);
  return ExitCode.pass;
}
