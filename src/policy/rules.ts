import { EVENT_NAMES, isEventName } from '../events.ts';
import type { ModuleRegistry } from '../module.ts';
import { didYouMean } from '../suggest.ts';
import type { PolicyProblem } from './problem.ts';
import type { Policy } from './schema.ts';

/** A semantic rule: what zod cannot see, e.g. names that must refer to something that exists. */
type Rule = (policy: Policy, registry: ModuleRegistry) => PolicyProblem[] | Promise<PolicyProblem[]>;

const knownEvents: Rule = (policy) =>
  Object.keys(policy.workflows)
    .filter((event) => !isEventName(event))
    .map((event) => ({
      path: ['workflows', event],
      at: 'key' as const,
      message: `unknown event "${event}"${didYouMean(event, EVENT_NAMES)}; events are ${EVENT_NAMES.join(', ')}`,
    }));

const knownSteps: Rule = (policy, registry) => {
  const problems: PolicyProblem[] = [];
  for (const [event, steps] of Object.entries(policy.workflows)) {
    const seen = new Set<string>();
    steps.forEach((step, index) => {
      const path = ['workflows', event, index];
      const module = registry.get(step);
      if (!module) {
        problems.push({ path, message: `step "${step}" names no module${didYouMean(step, registry.keys())}; modules are ${[...registry.keys()].join(', ') || '(none)'}` });
      } else if (isEventName(event) && !module.events.includes(event)) {
        problems.push({ path, message: `module "${step}" does not handle event "${event}"; it handles ${module.events.join(', ')}` });
      }
      if (seen.has(step)) problems.push({ path, message: `step "${step}" is listed twice in workflow "${event}"` });
      seen.add(step);
    });
  }
  return problems;
};

const moduleRules: Rule = async (policy, registry) => {
  const problems: PolicyProblem[] = [];
  for (const [id, module] of registry) {
    const slice = policy.modules[id];
    if (!slice || !module.validate) continue;
    for (const problem of await module.validate(slice as never)) {
      problems.push({ path: ['modules', id, ...problem.path], message: problem.message });
    }
  }
  return problems;
};

export const RULES: readonly Rule[] = [knownEvents, knownSteps, moduleRules];

export async function checkRules(policy: Policy, registry: ModuleRegistry): Promise<PolicyProblem[]> {
  return (await Promise.all(RULES.map((rule) => rule(policy, registry)))).flat();
}
