import { EVENT_NAMES, isEventName } from '../events.ts';
import type { ModuleRegistry } from '../module.ts';
import { didYouMean } from '../suggest.ts';
import { lifecycleProblems } from '../lifecycle/rules.ts';
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

const lifecycleRules: Rule = (policy) =>
  Object.entries(policy.lifecycles ?? {}).flatMap(([name, lifecycle]) => lifecycleProblems(lifecycle).map((p) => ({ ...p, path: ['lifecycles', name, ...p.path] })));

export const RULES: readonly Rule[] = [knownEvents, knownSteps, moduleRules, lifecycleRules];

/** A module configured under `modules:` that no workflow runs: valid, but it will never do anything. */
const unusedModules: Rule = (policy, registry) => {
  const used = new Set(Object.values(policy.workflows).flat());
  return Object.keys(policy.modules ?? {})
    .filter((id) => registry.has(id) && !used.has(id))
    .map((id) => {
      const events = registry.get(id)!.events;
      return { path: ['modules', id], at: 'key' as const, message: `warning: module "${id}" is configured but no workflow runs it, so it never runs; add it to a workflow, e.g. workflows: { ${events[0]}: [${id}] } (it handles ${events.join(', ')})` };
    });
};

/** Rules whose findings are warnings: the policy stays valid (exit 0) and each is printed. */
export const WARNING_RULES: readonly Rule[] = [unusedModules];

export async function checkWarnings(policy: Policy, registry: ModuleRegistry): Promise<PolicyProblem[]> {
  return (await Promise.all(WARNING_RULES.map((rule) => rule(policy, registry)))).flat();
}

export async function checkRules(policy: Policy, registry: ModuleRegistry): Promise<PolicyProblem[]> {
  return (await Promise.all(RULES.map((rule) => rule(policy, registry)))).flat();
}
